"""The twin's protocol faces: the same simulated line served over Sparkplug B, OPC UA, Modbus."""
