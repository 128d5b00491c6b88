"""One ComponentResource per tier; type tokens `marin:<tier>:<Type>`."""
