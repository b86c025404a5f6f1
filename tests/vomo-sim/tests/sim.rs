//! Integration tests of the simulator and the external system, one binary, servers on
//! 127.0.0.1 started by each test.

mod sim {
    pub mod auth;
    pub mod binary;
    pub mod control;
    pub mod determinism;
    pub mod external;
    pub mod family;
    pub mod faults;
    pub mod listing;
    pub mod quirks;
    pub mod rate;
    pub mod support;
    pub mod writes;
}
