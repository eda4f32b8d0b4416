//! Loopback stand-ins for services that exist only as cloud APIs; each checks what the real service checks.
