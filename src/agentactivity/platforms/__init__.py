"""What the platforms send, read and translated into our events: Twilio TaskRouter's
event callbacks and their signature, Amazon Connect's agent event stream as Kinesis Data
Firehose delivers it (SPEC section 10). Pure functions of the payloads: no store, no
clock, no I/O.

May import only the domain modules (agentactivity's top-level modules); service/, api/,
consume/ and cli/ import it.
"""
