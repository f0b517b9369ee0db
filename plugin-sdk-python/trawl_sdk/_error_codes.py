# Generated from error-codes/src/lib.rs by plugin-sdk-python/generate_error_codes.py: do not edit.
"""AWS error codes meaning "you may not look here": a target meeting one is skipped, not failed."""

ACCESS_DENIED = (
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "OptInRequired",
    "SubscriptionRequiredException",
    "trawl.NoEndpoint",
)
