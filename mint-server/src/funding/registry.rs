//! The backends a mint offers, one per payment method.

use std::sync::Arc;

use shared::nuts::PaymentMethod;

use super::Funding;
use super::bank::Bank;
use super::fake::FakeBolt11;
use crate::store::MintStore;

/// The payment methods on offer: one registered [`Funding`] backend each, in the order they were
/// registered (the order `GET /v1/info` lists them in).
#[derive(Debug, Clone, Default)]
pub struct FundingRegistry {
    backends: Vec<Arc<dyn Funding>>,
}

impl FundingRegistry {
    /// No methods: the mint can neither mint nor melt.
    pub fn new() -> Self {
        FundingRegistry::default()
    }

    /// The standard set: `bank` always, the fake `bolt11` backend when `fake_bolt11` is set.
    pub fn standard(store: Arc<dyn MintStore>, fake_bolt11: bool) -> Self {
        let mut registry = FundingRegistry::new().with(Arc::new(Bank::new(store)));
        if fake_bolt11 {
            registry = registry.with(Arc::new(FakeBolt11::default()));
        }
        registry
    }

    /// Register `backend` for its method, replacing the one registered for that method before (in its place).
    pub fn with(mut self, backend: Arc<dyn Funding>) -> Self {
        let method = backend.method();
        match self.backends.iter_mut().find(|b| b.method() == method) {
            Some(slot) => *slot = backend,
            None => self.backends.push(backend),
        }
        self
    }

    /// The backend of a method, if registered.
    pub fn get(&self, method: &PaymentMethod) -> Option<&Arc<dyn Funding>> {
        self.backends.iter().find(|b| b.method() == *method)
    }

    /// The registered backends, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Funding>> {
        self.backends.iter()
    }

    /// The registered methods, in registration order.
    pub fn methods(&self) -> Vec<PaymentMethod> {
        self.backends.iter().map(|b| b.method()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[tokio::test]
    async fn the_standard_set_is_bank_then_fake_bolt11_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn MintStore> = Arc::new(SqliteStore::open(&dir.path().join("m.sqlite")).await.unwrap());
        let without = FundingRegistry::standard(Arc::clone(&store), false);
        assert_eq!(without.methods(), [PaymentMethod::Bank]);
        assert!(without.get(&PaymentMethod::Bolt11).is_none());
        let with = FundingRegistry::standard(store, true);
        assert_eq!(with.methods(), [PaymentMethod::Bank, PaymentMethod::Bolt11]);
        assert_eq!(with.get(&PaymentMethod::Bolt11).unwrap().method(), PaymentMethod::Bolt11);
        // Registering a method again replaces its backend in place.
        let again = with.with(Arc::new(FakeBolt11::default()));
        assert_eq!(again.methods(), [PaymentMethod::Bank, PaymentMethod::Bolt11]);
        assert!(FundingRegistry::new().get(&PaymentMethod::Bank).is_none());
    }
}
