"""Plain JSON over MQTT: a topic-to-tag mapping with field selectors (see client.py)."""

from shopfloor.connect.mqtt_json.client import MqttJsonConnector, RejectedError

__all__ = ["MqttJsonConnector", "RejectedError"]
