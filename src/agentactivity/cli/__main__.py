"""`python -m agentactivity.cli`: the same as the `agentactivity` command."""

from agentactivity.cli.main import main

main()
