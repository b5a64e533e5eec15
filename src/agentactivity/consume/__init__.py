"""`agentactivity consume`: events taken from a message broker (a durable NATS JetStream
consumer, SPEC section 10) and stored through the service's one ingest door.

May import the domain modules, platforms/, store/, engine/ and service/; cli/ imports it.
"""
