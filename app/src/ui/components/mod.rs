pub mod markdown;
pub mod nav;
pub mod results;
