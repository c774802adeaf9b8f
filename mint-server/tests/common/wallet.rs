//! A minimal wallet for tests: builds outputs, unblinds signatures, checks DLEQ proofs, talks HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;

use mint_server::funding::FundingRegistry;
use mint_server::mint::{Mint, MintSettings};
use mint_server::store::MintStore;
use mint_server::{AppState, MintInfoSettings};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::nuts::{
    ErrorResponse, KeysResponse, MintQuoteBolt11Request, MintQuoteBolt11Response, MintRequest, MintResponse,
    SwapRequest, SwapResponse,
};
use shared::{Amount, BlindSignature, BlindedMessage, CurrencyUnit, KeySet, Proof, ProofDleq, Secret, SecretKey, dhke};
use tokio::sync::oneshot;

/// A mint served over HTTP on an ephemeral port.
pub struct TestMint {
    pub base: String,
    pub mint: Arc<Mint>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestMint {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The secrets behind outputs, to unblind the signatures.
pub struct Pending {
    pub outputs: Vec<BlindedMessage>,
    pub secrets: Vec<(Secret, SecretKey)>,
}

impl TestMint {
    /// Serve a mint (fake bolt11 on) on this store.
    pub async fn start(store: Arc<dyn MintStore>, settings: MintSettings) -> TestMint {
        let funding = FundingRegistry::standard(Arc::clone(&store), true);
        let mint = Arc::new(Mint::new(store, vec![7u8; 32], settings, funding).await.unwrap());
        Self::serve(mint).await
    }

    /// Serve a mint (fake bolt11 on) whose admin API takes this token.
    pub async fn start_with_admin_token(store: Arc<dyn MintStore>, settings: MintSettings, token: Vec<u8>) -> TestMint {
        let funding = FundingRegistry::standard(Arc::clone(&store), true);
        let mint = Arc::new(Mint::new(store, vec![7u8; 32], settings, funding).await.unwrap());
        Self::serve_with_token(mint, token).await
    }

    /// Serve a mint (fake bolt11 on) with this master secret and admin token.
    pub async fn start_with_master(store: Arc<dyn MintStore>, master: Vec<u8>, token: Vec<u8>) -> TestMint {
        let funding = FundingRegistry::standard(Arc::clone(&store), true);
        let mint = Arc::new(Mint::new(store, master, MintSettings::default(), funding).await.unwrap());
        Self::serve_with_token(mint, token).await
    }

    /// The `POST /v1/bank/pay` signature by `holder` paying the whole of `quote` (amount and unit as this
    /// mint answered them) from `account` at this mint.
    pub fn pay_signature(&self, holder: &SecretKey, quote: &MintQuoteBolt11Response, account: &str) -> String {
        let payment = shared::nuts::bank::Payment {
            mint: &self.mint.pubkey(),
            quote: &quote.quote,
            amount: quote.amount.unwrap(),
            unit: quote.unit.as_ref().unwrap(),
            account,
        };
        shared::nuts::bank::sign_payment(holder, &payment).unwrap()
    }

    /// Serve an existing mint core.
    pub async fn serve(mint: Arc<Mint>) -> TestMint {
        Self::serve_with_token(mint, vec![0x55; 32]).await
    }

    pub async fn serve_with_token(mint: Arc<Mint>, token: Vec<u8>) -> TestMint {
        let info = MintInfoSettings { name: "Test mint".into(), description: "integration tests".into() };
        let mut state = AppState::new(info, "/nonexistent-wallet", Arc::clone(&mint));
        state.admin_token = Arc::new(zeroize::Zeroizing::new(token));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(mint_server::serve(listener, mint_server::app(state), async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
        TestMint { base: format!("http://{address}"), mint, client, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST JSON; Ok(body) on 200, Err(error body) on 400.
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ErrorResponse> {
        let response = self.client.post(self.url(path)).json(body).send().await.unwrap();
        decode(response).await
    }

    /// GET JSON.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ErrorResponse> {
        decode(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// The active keyset.
    pub async fn keyset(&self) -> KeySet {
        let keys: KeysResponse = self.get("/v1/keys").await.unwrap();
        let keyset = keys.keysets.into_iter().next().unwrap();
        keyset.verify_id().unwrap();
        keyset
    }

    /// Fresh outputs for these amounts.
    pub fn outputs(keyset: &KeySet, amounts: &[u64]) -> Pending {
        let mut outputs = Vec::new();
        let mut secrets = Vec::new();
        for amount in amounts {
            let secret = Secret::generate().unwrap();
            let (blinded, r) = dhke::blind_message(secret.as_bytes(), None).unwrap();
            outputs.push(BlindedMessage {
                amount: Amount::from_u64(*amount),
                keyset_id: keyset.id,
                blinded_secret: blinded,
                witness: None,
            });
            secrets.push((secret, r));
        }
        Pending { outputs, secrets }
    }

    /// Unblind, checking each DLEQ proof.
    pub fn unblind(keyset: &KeySet, pending: &Pending, signatures: &[BlindSignature]) -> Vec<Proof> {
        assert_eq!(signatures.len(), pending.outputs.len());
        signatures
            .iter()
            .zip(&pending.outputs)
            .zip(&pending.secrets)
            .map(|((signature, output), (secret, r))| {
                assert_eq!(signature.amount, output.amount);
                signature.verify_dleq(&keyset.keys, &output.blinded_secret).unwrap();
                let key = keyset.keys.amount_key(signature.amount).unwrap();
                let c = dhke::unblind_message(&signature.c, r, key).unwrap();
                let dleq = signature.dleq.clone().unwrap();
                let proof = Proof {
                    amount: signature.amount,
                    keyset_id: signature.keyset_id,
                    secret: secret.clone(),
                    c,
                    witness: None,
                    dleq: Some(ProofDleq { e: dleq.e, s: dleq.s, r: r.clone() }),
                };
                proof.verify_dleq(&keyset.keys).unwrap();
                proof
            })
            .collect()
    }

    /// Mint notes of these amounts through the fake bolt11 backend.
    pub async fn mint_notes(&self, amounts: &[u64]) -> Vec<Proof> {
        let keyset = self.keyset().await;
        let total: u64 = amounts.iter().sum();
        let quote: MintQuoteBolt11Response = self
            .post(
                "/v1/mint/quote/bolt11",
                &MintQuoteBolt11Request {
                    amount: Amount::from_u64(total),
                    unit: CurrencyUnit::Sat,
                    description: None,
                    pubkey: None,
                },
            )
            .await
            .unwrap();
        let pending = Self::outputs(&keyset, amounts);
        let response: MintResponse = self
            .post(
                "/v1/mint/bolt11",
                &MintRequest { quote: quote.quote, outputs: pending.outputs.clone(), signature: None },
            )
            .await
            .unwrap();
        Self::unblind(&keyset, &pending, &response.signatures)
    }

    /// Swap inputs for new notes of these amounts.
    pub async fn swap(&self, inputs: Vec<Proof>, amounts: &[u64]) -> Result<Vec<Proof>, ErrorResponse> {
        let keyset = self.keyset().await;
        let pending = Self::outputs(&keyset, amounts);
        let response: SwapResponse =
            self.post("/v1/swap", &SwapRequest { inputs, outputs: pending.outputs.clone() }).await?;
        Ok(Self::unblind(&keyset, &pending, &response.signatures))
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ErrorResponse> {
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    if status == StatusCode::OK {
        Ok(serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("bad body {e}: {}", String::from_utf8_lossy(&bytes))))
    } else {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&bytes));
        Err(serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("bad error body {e}: {}", String::from_utf8_lossy(&bytes))))
    }
}
