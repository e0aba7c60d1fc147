//! Management API rate limiting: token buckets per endpoint group, with Auth0's presets and headers.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Endpoint groups with their own bucket on Auth0's paid B2B plans.
pub const GROUPS: &[&str] = &[
    "read_organizations",
    "read_organization_by_id",
    "read_organization_by_name",
    "write_organizations",
    "read_organization_connections",
    "write_organization_connections",
    "read_organization_members",
    "write_organization_members",
    "read_connections",
    "other",
];

/// Which of Auth0's published limits to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// No limits.
    #[default]
    Off,
    /// Free plan: one Management API bucket, burst 2, then 2 per second.
    Free,
    /// Paid B2B plans: per-group buckets (burst / per minute).
    PaidB2b,
}

/// One bucket's size and refill rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketSpec {
    pub burst: u32,
    pub per_minute: u32,
}

/// Seed configuration: a preset plus per-group overrides.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub preset: Preset,
    pub groups: BTreeMap<String, BucketSpec>,
}

impl RateLimitConfig {
    /// No rate limiting at all.
    pub fn off() -> Self {
        Self::default()
    }

    /// The bucket for `group`, or `None` when that group is unlimited.
    pub fn spec(&self, group: &str) -> Option<BucketSpec> {
        if let Some(spec) = self.groups.get(group) {
            return Some(*spec);
        }
        let b = |burst, per_minute| Some(BucketSpec { burst, per_minute });
        match self.preset {
            Preset::Off => None,
            Preset::Free => b(2, 120),
            Preset::PaidB2b => match group {
                "read_organizations" => b(5, 50),
                "read_organization_by_id" => b(20, 200),
                "read_organization_by_name" => b(10, 100),
                "write_organizations" => b(5, 25),
                "read_organization_connections" => b(5, 50),
                "write_organization_connections" => b(5, 25),
                "read_organization_members" => b(40, 500),
                "write_organization_members" => b(20, 200),
                "read_connections" => b(5, 50),
                _ => b(10, 150),
            },
        }
    }

    /// On the free plan every endpoint shares one bucket.
    fn bucket_key<'a>(&self, group: &'a str) -> &'a str {
        if self.preset == Preset::Free && !self.groups.contains_key(group) {
            "management"
        } else {
            group
        }
    }
}

/// What a rate-limited request learns, for the `x-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// UNIX seconds when the bucket is full again.
    pub reset: i64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// All buckets of one tenant.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    /// Takes one token for `group`; `None` when the group is unlimited.
    pub fn check(
        &mut self,
        config: &RateLimitConfig,
        group: &str,
        now_unix: i64,
    ) -> Option<Verdict> {
        let spec = config.spec(group)?;
        let key = config.bucket_key(group).to_owned();
        let capacity = f64::from(spec.burst.max(1));
        let rate = f64::from(spec.per_minute.max(1)) / 60.0;
        let now = Instant::now();
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            last: now,
        });
        let elapsed = now.duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.last = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let to_full = ((capacity - bucket.tokens) / rate).ceil() as i64;
        Some(Verdict {
            allowed,
            limit: spec.burst,
            remaining: bucket.tokens.floor() as u32,
            reset: now_unix + to_full.max(if allowed { 0 } else { 1 }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_auth0_published_numbers() {
        let paid = RateLimitConfig {
            preset: Preset::PaidB2b,
            groups: BTreeMap::new(),
        };
        let rows = [
            ("read_organizations", 5, 50),
            ("read_organization_by_id", 20, 200),
            ("read_organization_by_name", 10, 100),
            ("write_organizations", 5, 25),
            ("read_organization_connections", 5, 50),
            ("write_organization_connections", 5, 25),
            ("read_organization_members", 40, 500),
            ("write_organization_members", 20, 200),
            ("read_connections", 5, 50),
            ("other", 10, 150),
        ];
        for (group, burst, per_minute) in rows {
            assert_eq!(
                paid.spec(group),
                Some(BucketSpec { burst, per_minute }),
                "{group}"
            );
        }
        let free = RateLimitConfig {
            preset: Preset::Free,
            groups: BTreeMap::new(),
        };
        assert_eq!(
            free.spec("read_organizations"),
            Some(BucketSpec {
                burst: 2,
                per_minute: 120
            })
        );
        assert_eq!(RateLimitConfig::off().spec("other"), None);
    }

    #[test]
    fn free_plan_shares_one_bucket_and_refuses_the_third_burst_request() {
        let free = RateLimitConfig {
            preset: Preset::Free,
            groups: BTreeMap::new(),
        };
        let mut limiter = RateLimiter::default();
        let a = limiter.check(&free, "read_organizations", 1000).unwrap();
        let b = limiter.check(&free, "write_organizations", 1000).unwrap();
        let c = limiter.check(&free, "read_connections", 1000).unwrap();
        assert!(a.allowed && b.allowed && !c.allowed);
        assert_eq!(
            (a.limit, a.remaining, b.remaining, c.remaining),
            (2, 1, 0, 0)
        );
        assert_eq!(c.reset, 1001);
    }

    #[test]
    fn overrides_win_over_presets() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "other".to_owned(),
            BucketSpec {
                burst: 1,
                per_minute: 1,
            },
        );
        let config = RateLimitConfig {
            preset: Preset::Off,
            groups,
        };
        let mut limiter = RateLimiter::default();
        assert!(limiter.check(&config, "other", 0).unwrap().allowed);
        let second = limiter.check(&config, "other", 0).unwrap();
        assert!(!second.allowed);
        assert_eq!(second.reset, 60);
        assert!(limiter.check(&config, "read_organizations", 0).is_none());
    }
}
