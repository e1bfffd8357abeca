//! FTP parser tests.
