"""Sparkplug B 3.0 over MQTT: the primary host connector and its payload codec.

The registry builds :class:`~shopfloor.connect.sparkplug.host.SparkplugHost` for plant-file
connectors of ``type: sparkplug``. See ``docs/connectors-mqtt.md``.
"""

from shopfloor.connect.sparkplug.codec import DataType, OutMetric, PayloadError, decode, encode
from shopfloor.connect.sparkplug.host import DEATH_STATUS, SparkplugHost
from shopfloor.connect.sparkplug.mapping import AssetMapping, MessageType, Topic, parse_topic
from shopfloor.connect.sparkplug.sessions import HostStats

__all__ = [
    "DEATH_STATUS",
    "AssetMapping",
    "DataType",
    "HostStats",
    "MessageType",
    "OutMetric",
    "PayloadError",
    "SparkplugHost",
    "Topic",
    "decode",
    "encode",
    "parse_topic",
]
