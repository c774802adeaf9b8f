//! Withdrawal, Brands' restrictive blind signature in three moves, as two state machines whose states
//! consume themselves (a state cannot answer twice):
//!
//! ```text
//! mint: MintSession::start(w) ──SessionStart{z, a0, b0}──▶ user: PendingWithdrawal::prepare(secrets)
//! mint: MintSession::respond(self, c0) ◀──BlindedChallenge{c0}── user
//! mint ──SessionResponse{r0}──▶ user: PendingWithdrawal::finish(self, r0) -> WalletCoin
//! ```

use core::fmt;

use k256::elliptic_curve::ops::{LinearCombination, MulByGeneratorVartime};
use k256::{ProjectivePoint, Scalar};
use serde::{Deserialize, Serialize};

use super::account::{IdentitySecret, account_point};
use super::coin::{Coin, signature_challenge};
use super::error::OfflineError;
use super::generators::generators;
use super::hash::{TAG_DERIVE_COIN, TAG_DERIVE_SESSION, hmac_scalar};
use super::keyset::{OfflineKeyset, OfflineKeysetId, OfflineMintKeyset, denomination};
use super::wire::PublicScalar;
use crate::{PublicKey, SecretKey};

/// The mint's first move: `z_j = x_j m`, `a0 = w G`, `b0 = w m` for the coin of `amount` in keyset `id`.
///
/// JSON: `{"id", "amount", "z", "a0", "b0"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStart {
    /// The offline keyset.
    #[serde(rename = "id")]
    pub keyset_id: OfflineKeysetId,
    /// The coin's value `2^j`.
    pub amount: u64,
    /// `z_j = x_j m`.
    pub z: PublicKey,
    /// `a0 = w G`.
    pub a0: PublicKey,
    /// `b0 = w m`.
    pub b0: PublicKey,
}

/// The user's blinded challenge `c0 = c' / u`. JSON: `{"c0"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlindedChallenge {
    /// `c0`.
    pub c0: PublicScalar,
}

/// The mint's answer `r0 = w + c0 x_j`. JSON: `{"r0"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// `r0`.
    pub r0: PublicScalar,
}

/// The mint's open session: holds `w` until [`MintSession::respond`] consumes it. At most one per account
/// (the ROS attack on concurrent blind signing); the mint must store that a session was answered in the
/// same commit that debits the account, so that no `w` ever answers two challenges.
pub struct MintSession {
    w: SecretKey,
    x: SecretKey,
}

/// The session nonce `w` from a mint secret and a session id:
/// `w = HMAC-SHA256(mint_secret, "offline/v1/derive/session" || session_id || ctr)`. Lets a mint keep only
/// the session id between the two requests; each session id must be used for one session only.
pub fn derive_session_nonce(mint_secret: &[u8], session_id: &[u8]) -> Result<SecretKey, OfflineError> {
    Ok(SecretKey::from_scalar(hmac_scalar(mint_secret, TAG_DERIVE_SESSION, &[session_id])?)?)
}

impl MintSession {
    /// Open a session for a coin of `amount` to the account with `identity` (`m = I + g2`), with the fresh
    /// nonce `w` ([`SecretKey::random`] or [`derive_session_nonce`]).
    pub fn start(
        keyset: &OfflineMintKeyset,
        amount: u64,
        identity: &PublicKey,
        w: SecretKey,
    ) -> Result<(MintSession, SessionStart), OfflineError> {
        let x = keyset.secret(amount)?.clone();
        let m = account_point(identity)?;
        let z = PublicKey::from_projective(m * x.as_scalar())?;
        let a0 = w.public_key();
        let b0 = PublicKey::from_projective(m * w.as_scalar())?;
        let start = SessionStart { keyset_id: keyset.public.id, amount, z, a0, b0 };
        Ok((MintSession { w, x }, start))
    }

    /// `r0 = w + c0 x_j`; consumes the session (and `w` is zeroized).
    pub fn respond(self, challenge: &BlindedChallenge) -> Result<SessionResponse, OfflineError> {
        let r0 = *self.w.as_scalar() + *challenge.c0.as_scalar() * self.x.as_scalar();
        Ok(SessionResponse { r0: PublicScalar::new(r0)? })
    }
}

impl fmt::Debug for MintSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MintSession(..)")
    }
}

/// A coin's secrets `(s, u, v, x1, x2)`. Zeroized on drop; `Debug` prints nothing of them.
#[derive(Clone)]
pub struct CoinSecrets {
    s: SecretKey,
    u: SecretKey,
    v: SecretKey,
    x1: SecretKey,
    x2: SecretKey,
}

impl CoinSecrets {
    /// Fresh from the RNG.
    pub fn random() -> Result<Self, OfflineError> {
        Ok(CoinSecrets {
            s: SecretKey::random()?,
            u: SecretKey::random()?,
            v: SecretKey::random()?,
            x1: SecretKey::random()?,
            x2: SecretKey::random()?,
        })
    }

    /// From the 64-byte BIP-39 seed, the keyset, a counter and the mint's session values:
    /// `k = HMAC-SHA256(seed, "offline/v1/derive/coin" || kid || BE32(counter) || enc(a0) || enc(b0) || label
    /// || ctr)` for the labels `"s"`, `"u"`, `"v"`, `"x1"`, `"x2"` (ASCII), the first output in [1, q-1]
    /// (`ctr` one byte from 0). Fresh per session (a0, b0 are), reproducible from the recovery words and the
    /// mint's stored transcript.
    pub fn derive(
        seed: &[u8; 64],
        keyset_id: &OfflineKeysetId,
        counter: u32,
        a0: &PublicKey,
        b0: &PublicKey,
    ) -> Result<Self, OfflineError> {
        let (kid, counter, a0, b0) = (keyset_id.to_bytes(), counter.to_be_bytes(), a0.to_bytes(), b0.to_bytes());
        let one = |label: &[u8]| -> Result<SecretKey, OfflineError> {
            Ok(SecretKey::from_scalar(hmac_scalar(seed, TAG_DERIVE_COIN, &[&kid, &counter, &a0, &b0, label])?)?)
        };
        Ok(CoinSecrets { s: one(b"s")?, u: one(b"u")?, v: one(b"v")?, x1: one(b"x1")?, x2: one(b"x2")? })
    }
}

impl CoinSecrets {
    /// `[s, u, v, x1, x2]`, for known-answer tests and for a wallet that stores them (handle with care).
    pub fn expose_secrets(&self) -> [&SecretKey; 5] {
        [&self.s, &self.u, &self.v, &self.x1, &self.x2]
    }
}

impl fmt::Debug for CoinSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CoinSecrets(..)")
    }
}

/// The user's state between sending `c0` and receiving `r0`; [`PendingWithdrawal::finish`] consumes it.
pub struct PendingWithdrawal {
    secrets: CoinSecrets,
    m: ProjectivePoint,
    h: PublicKey,
    start: SessionStart,
    coin_without_r: [PublicKey; 5],
    keyset: OfflineKeyset,
    c0: Scalar,
}

impl PendingWithdrawal {
    /// The user's move: `A = s m`, `B = x1 g1 + x2 g2`, `z' = s z`, `a' = u a0 + v G`, `b' = (s u) b0 + v A`,
    /// `c' = Hq(sig, ...)`, `c0 = c' / u`. Constant time in the secrets.
    pub fn prepare(
        identity: &PublicKey,
        keyset: &OfflineKeyset,
        start: &SessionStart,
        secrets: CoinSecrets,
    ) -> Result<(PendingWithdrawal, BlindedChallenge), OfflineError> {
        if start.keyset_id != keyset.id {
            return Err(OfflineError::WrongKeyset);
        }
        let j = denomination(start.amount)?;
        let h = *keyset.key(start.amount)?;
        let gens = generators()?;
        let m = account_point(identity)?;
        let (s, u, v) = (secrets.s.as_scalar(), secrets.u.as_scalar(), secrets.v.as_scalar());
        let a_point = PublicKey::from_projective(m * s)?;
        let b_point = PublicKey::from_projective(gens.g1 * secrets.x1.as_scalar() + gens.g2 * secrets.x2.as_scalar())?;
        let z = PublicKey::from_projective(start.z.to_projective() * s)?;
        let a = PublicKey::from_projective(start.a0.to_projective() * u + ProjectivePoint::mul_by_generator(v))?;
        let b = PublicKey::from_projective(start.b0.to_projective() * (*s * u) + a_point.to_projective() * v)?;
        let c = signature_challenge(&keyset.id, j, [&a_point, &b_point, &z, &a, &b])?;
        let u_inverse: Option<Scalar> = u.invert().into_option();
        let c0 = c * u_inverse.ok_or(OfflineError::ZeroScalar)?;
        let challenge = BlindedChallenge { c0: PublicScalar::new(c0)? };
        let pending = PendingWithdrawal {
            secrets,
            m,
            h,
            start: start.clone(),
            coin_without_r: [a_point, b_point, z, a, b],
            keyset: keyset.clone(),
            c0,
        };
        Ok((pending, challenge))
    }

    /// Check the mint's `r0` (`r0 G == c0 h_j + a0`, `r0 m == c0 z + b0`), then `r' = u r0 + v`; consumes
    /// the state and yields the coin with its secrets.
    pub fn finish(self, response: &SessionResponse) -> Result<WalletCoin, OfflineError> {
        let r0 = response.r0.as_scalar();
        // These values are all known to the mint: variable time is safe here.
        let lhs = ProjectivePoint::mul_by_generator_and_mul_add_vartime(r0, &-self.c0, &self.h.to_projective());
        if lhs != self.start.a0.to_projective() {
            return Err(OfflineError::InvalidMintResponse);
        }
        let lhs = ProjectivePoint::lincomb_vartime(&[(self.m, *r0), (self.start.z.to_projective(), -self.c0)]);
        if lhs != self.start.b0.to_projective() {
            return Err(OfflineError::InvalidMintResponse);
        }
        let r = *self.secrets.u.as_scalar() * r0 + self.secrets.v.as_scalar();
        let [a_point, b_point, z, a, b] = self.coin_without_r;
        let coin = Coin {
            keyset_id: self.keyset.id,
            amount: self.start.amount,
            a_point,
            b_point,
            z,
            a,
            b,
            r: PublicScalar::new(r)?,
        };
        coin.verify_vartime(&self.keyset)?;
        let CoinSecrets { s, x1, x2, .. } = self.secrets;
        Ok(WalletCoin { coin, s, x1, x2 })
    }
}

impl fmt::Debug for PendingWithdrawal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingWithdrawal").field("start", &self.start).finish_non_exhaustive()
    }
}

/// A coin with the secrets that spend it (`s`, `x1`, `x2`). Zeroized on drop; `Debug` shows the coin only.
#[derive(Clone)]
pub struct WalletCoin {
    /// The public coin.
    pub coin: Coin,
    pub(crate) s: SecretKey,
    pub(crate) x1: SecretKey,
    pub(crate) x2: SecretKey,
}

impl WalletCoin {
    /// `A == s (I + g2)`: the coin is bound to the identity (what a refund proves knowledge of).
    pub fn is_bound_to(&self, identity: &IdentitySecret) -> Result<bool, OfflineError> {
        let m = account_point(&identity.identity()?)?;
        Ok(m * self.s.as_scalar() == self.coin.a_point.to_projective())
    }
}

impl WalletCoin {
    /// Rebuild a wallet coin from its public part and the secrets it was withdrawn with (a wallet that keeps
    /// only the derivation inputs re-derives them with [`CoinSecrets::derive`]). Refused with
    /// [`OfflineError::InvalidCoin`] unless `A == s (I + g2)` and `B == x1 g1 + x2 g2`: secrets that do not
    /// open the coin would answer a payment wrongly.
    pub fn from_secrets(coin: Coin, secrets: &CoinSecrets, identity: &PublicKey) -> Result<WalletCoin, OfflineError> {
        let gens = generators()?;
        let m = account_point(identity)?;
        let a_point = m * secrets.s.as_scalar();
        let b_point = gens.g1 * secrets.x1.as_scalar() + gens.g2 * secrets.x2.as_scalar();
        if a_point != coin.a_point.to_projective() || b_point != coin.b_point.to_projective() {
            return Err(OfflineError::InvalidCoin);
        }
        Ok(WalletCoin { coin, s: secrets.s.clone(), x1: secrets.x1.clone(), x2: secrets.x2.clone() })
    }
}

impl fmt::Debug for WalletCoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WalletCoin").field("coin", &self.coin).finish_non_exhaustive()
    }
}
