//! Real servers started on loopback for the tests: sshd, vsftpd, nginx (WebDAV, HTTP), Azurite, s3s-fs.
