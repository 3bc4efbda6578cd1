"""The topology: which topics feed which agents, readable in one file."""
