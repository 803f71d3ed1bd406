// What Nexus' datastore does with NEXUS_DATASTORE_NEXUS_JDBCURL/USERNAME/PASSWORD, with PostgreSQL's own JDBC driver:
//   java -cp postgresql.jar JdbcProbe.java connect   (reads the three variables; logs in, creates a table, drops it)
//   java -cp postgresql.jar JdbcProbe.java parse URL...   (how the driver parses each URL, or REJECTED)
// Run with `java File.java` (JDK 11+ source launcher); tests/stack/test_postgresql_real.py drives it.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;

public class JdbcProbe {
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("parse")) {
      for (int i = 1; i < args.length; i++) {
        Properties p = org.postgresql.Driver.parseURL(args[i], null);
        System.out.println(args[i] + "\t" + (p == null ? "REJECTED"
            : p.getProperty("PGHOST") + "\t" + p.getProperty("PGPORT") + "\t" + p.getProperty("PGDBNAME")));
      }
      return;
    }
    String url = System.getenv("NEXUS_DATASTORE_NEXUS_JDBCURL");
    try (Connection c = DriverManager.getConnection(url, System.getenv("NEXUS_DATASTORE_NEXUS_USERNAME"),
                                                    System.getenv("NEXUS_DATASTORE_NEXUS_PASSWORD"));
         Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT current_user, current_database(), "
                                        + "pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()")) {
        r.next();
        System.out.println("user=" + r.getString(1) + " database=" + r.getString(2) + " encoding=" + r.getString(3));
      }
      // Nexus creates its own tables on first start: the role must be able to in the default (public) schema.
      s.execute("CREATE TABLE nexus_registry_probe (id INT PRIMARY KEY, name TEXT)");
      s.execute("INSERT INTO nexus_registry_probe VALUES (1, 'ok')");
      s.execute("DROP TABLE nexus_registry_probe");
      System.out.println("created-and-dropped-table=ok");
    }
  }
}
