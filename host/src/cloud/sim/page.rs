//! Opaque pagination tokens, checked on the way back in.
//!
//! A token encodes the operation and the offset of the next item, so a
//! token from one operation is refused by another, as AWS refuses a
//! foreign or tampered token.

use super::request::{Protocol, invalid};
use crate::cloud::ApiError;

/// The token for the page starting at `offset` of `operation`.
pub fn token(operation: &str, offset: usize) -> String {
    hex::encode(format!("{operation}/{offset}/{:08x}", checksum(operation, offset)))
}

/// The offset a token points at; 0 when there is no token.
pub fn offset(protocol: Protocol, operation: &str, token: Option<&str>) -> Result<usize, ApiError> {
    let Some(token) = token else { return Ok(0) };
    let bad = || invalid(protocol, format_args!("the pagination token {token:?} is not valid for {operation}"));
    let text = String::from_utf8(hex::decode(token).map_err(|_| bad())?).map_err(|_| bad())?;
    let mut parts = text.split('/');
    let (Some(op), Some(offset), Some(sum), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let offset: usize = offset.parse().map_err(|_| bad())?;
    if op != operation || sum != format!("{:08x}", checksum(operation, offset)) {
        return Err(bad());
    }
    Ok(offset)
}

/// One page of `items` from `start`, and the next offset if more remain.
/// `size` None means everything (AWS's unpaginated form).
pub fn slice<T>(items: &[T], start: usize, size: Option<usize>) -> (&[T], Option<usize>) {
    let start = start.min(items.len());
    let end = size.map_or(items.len(), |n| (start + n).min(items.len()));
    (&items[start..end], (end < items.len()).then_some(end))
}

fn checksum(operation: &str, offset: usize) -> u32 {
    operation.bytes().fold(0x811c_9dc5u32 ^ offset as u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_operation() {
        let t = token("DescribeVolumes", 40);
        assert_eq!(offset(Protocol::Ec2, "DescribeVolumes", Some(&t)).unwrap(), 40);
        assert_eq!(offset(Protocol::Ec2, "DescribeVolumes", None).unwrap(), 0);
        let e = offset(Protocol::Query, "ListRoles", Some(&t)).unwrap_err();
        assert_eq!(e.code, "ValidationError");
        for forged in ["zz", "", &hex::encode("DescribeVolumes/41/00000000")] {
            assert!(offset(Protocol::Ec2, "DescribeVolumes", Some(forged)).is_err(), "{forged}");
        }
    }

    #[test]
    fn slices_pages_and_the_last_has_no_next() {
        let items: Vec<u32> = (0..12).collect();
        assert_eq!(slice(&items, 0, Some(5)), (&items[0..5], Some(5)));
        assert_eq!(slice(&items, 10, Some(5)), (&items[10..12], None));
        assert_eq!(slice(&items, 0, None), (&items[..], None));
        assert_eq!(slice(&items, 99, Some(5)).0.len(), 0);
    }
}
