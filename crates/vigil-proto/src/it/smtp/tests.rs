//! SMTP parser tests.
