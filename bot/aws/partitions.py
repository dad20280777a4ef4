"""The AWS partition of a region (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, ...), from botocore's partition data:
what an ARN in that region starts with."""

from __future__ import annotations

from functools import cache


@cache
def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (`aws-cn` for cn-north-1, `aws-us-gov` for us-gov-west-1, `aws-iso`
    for us-iso-east-1, ...), from botocore's partition data; `aws` for a region it does not know."""
    import botocore.session
    from botocore.exceptions import UnknownRegionError

    try:
        return str(botocore.session.get_session().get_partition_for_region(region))
    except UnknownRegionError:
        return "aws"
