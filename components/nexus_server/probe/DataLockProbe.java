// Asks the kernel whether another process holds Nexus' data-directory lock, the way Nexus takes it.
//
// Nexus (nexus-main, org.sonatype.nexus.karaf.NexusFileLock, set as karaf.lock.class in
// etc/karaf/custom.properties) opens <karaf.data>/lock and calls FileChannel.tryLock(0L, 1L, false): an
// exclusive lock on byte 0. On Linux the JDK takes it with fcntl(F_SETLK), a POSIX record lock.
// This probe opens the file read-only and asks for a shared lock on that same byte: the kernel refuses it
// (tryLock returns null) exactly while an exclusive lock is held by another process, in any container on
// the node. It prints "free" or "held" and never writes; its own lock ends with the JVM.
//
// Built with `javac --release 11` (the pinned images run Java 17 or 21, whose headless JRE has no
// compiler, so the class ships compiled: components/nexus_server/data_check.py, PROBE_CLASS).
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;

public class DataLockProbe {
    public static void main(String[] args) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(args[0], "r")) {
            FileLock lock = file.getChannel().tryLock(0L, 1L, true);
            System.out.println(lock == null ? "held" : "free");
        }
    }
}
