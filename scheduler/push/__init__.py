"""What AWS pushes: SNS deliveries verified, taken in once, and turned into the findings the checks would make."""
