//! Components. They only render: data comes from [`crate::client`], wording from [`crate::mint_info`].

pub mod mint_info;
