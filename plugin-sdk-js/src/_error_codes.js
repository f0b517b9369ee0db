// Generated from error-codes/src/lib.rs by plugin-sdk-js/generate_error_codes.mjs: do not edit.
// AWS error codes meaning "you may not look here": a target meeting one is skipped, not failed.

export const ACCESS_DENIED = Object.freeze([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'OptInRequired',
  'SubscriptionRequiredException',
  'trawl.NoEndpoint',
]);
