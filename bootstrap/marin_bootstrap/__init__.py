"""marin-bootstrap: the one-time CI/CD setup of one AWS account and its GitHub Environments, as code."""
