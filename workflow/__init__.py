"""Domain services and persistence for complaints: the model, the tables, the services."""
