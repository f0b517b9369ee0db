//! "Did you mean": the known name closest to one an operator mistyped
//! (an account, a region, a service, a config key).

/// The candidate closest to `typed`: equal but for case, else the most
/// similar by Jaro-Winkler with a similarity of at least 0.8.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = typed.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == lower {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&lower, &candidate.to_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// ` (did you mean "x"?)` when there is a close candidate, else nothing.
pub fn did_you_mean<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(typed, candidates).map_or_else(String::new, |c| format!(" (did you mean {c:?}?)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let regions = ["eu-west-1", "us-east-1", "ap-northeast-2"];
        assert_eq!(closest("eu-west-9", regions), Some("eu-west-1"));
        assert_eq!(closest("US-EAST-1", regions), Some("us-east-1"));
        assert_eq!(closest("mars-1", regions), None);
        assert_eq!(did_you_mean("ec3", ["ec2", "iam"]), " (did you mean \"ec2\"?)");
        assert_eq!(did_you_mean("zzz", ["ec2", "iam"]), "");
    }
}
