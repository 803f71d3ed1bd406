"""Usage you can see (stack key `monitoring`): the metrics user and its scrape, alert rules, a Grafana dashboard."""
from components.monitoring.component import Monitoring, MonitoringArgs

__all__ = ["Monitoring", "MonitoringArgs"]
