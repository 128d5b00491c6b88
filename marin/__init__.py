"""Pure logic for the marin environments: config validation, naming, CIDR maths.

Nothing in this package imports the Pulumi runtime; every module is tested without mocks.
"""
