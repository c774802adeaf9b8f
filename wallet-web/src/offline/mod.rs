//! Offline coins in the wallet (Brands' scheme, `shared::offline`): a second protocol beside Cashu's, with
//! its own records, object stores and operations. This module is plain logic with no store and no DOM:
//! [`denominations`] (the spread to withdraw, exact coin choice, the amounts the coins can pay),
//! [`text`] (requests and payments as text), [`records`] (what the store holds), [`coins`] (the wallet's
//! cryptographic steps: withdrawal, payer, payee). The operations over the store are in `wallet::offline`;
//! the screen is `components::offline`.

pub mod coins;
pub mod denominations;
pub mod records;
pub mod text;
