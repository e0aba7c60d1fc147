//! orgpass-admin (placeholder until its issue lands).
