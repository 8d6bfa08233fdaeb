"""OPC UA client connector."""
