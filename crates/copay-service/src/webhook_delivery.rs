//! Sending deliveries: target checks, one HTTP attempt, retry schedule, the worker's tick.
//!
//! At least once, in order per webhook: a delivery is claimed with a lease (see
//! `copay_store::webhooks`), POSTed with its stored body and signature, and its attempt
//! recorded. A 2xx delivers it; anything else (another status, a redirect, a timeout, a
//! refused connection) is retried after `retry_base × 3^(n-1)` with ±25% jitter, until
//! `max_attempts` automatic attempts were made. Only then does the webhook's next event go.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use uuid::Uuid;

use copay_store::Store;
use copay_store::webhooks::{AttemptRecord, DeliveryRow};

use crate::webhook_signing::{SIGNATURE_HEADER, sign};
use crate::webhooks::WebhookSettings;
use crate::{ServiceError, events};

/// The URL if it is one copay may deliver to: http or https, with a host; unless
/// `allow_private`, every address the host resolves to must be public.
pub async fn check_target(url: &str, allow_private: bool) -> Result<Url, String> {
    let parsed = Url::parse(url.trim()).map_err(|error| format!("is not a valid URL: {error}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    let Some(host) = parsed.host_str().map(str::to_string) else {
        return Err("must name a host".into());
    };
    if allow_private {
        return Ok(parsed);
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match bare.parse::<IpAddr>() {
        Ok(address) => vec![address],
        Err(_) => {
            let port = parsed.port_or_known_default().unwrap_or(443);
            let lookup = tokio::net::lookup_host((bare, port));
            match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                Ok(Ok(found)) => found.map(|socket| socket.ip()).collect(),
                Ok(Err(_)) | Err(_) => return Err(format!("host {host} does not resolve")),
            }
        }
    };
    if addresses.is_empty() {
        return Err(format!("host {host} does not resolve"));
    }
    if let Some(refused) = addresses.iter().find(|address| !is_public(**address)) {
        return Err(format!(
            "must not point at a loopback, link-local, private or unspecified address ({host} is {refused})"
        ));
    }
    Ok(parsed)
}

/// False for addresses inside a host or its network: loopback, private, link-local,
/// unspecified, shared (CGNAT), broadcast and multicast ones.
fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let first = v6.segments()[0];
    !(v6.is_loopback()
        || v6.is_unspecified()
        || v6.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// The client deliveries use: the attempt timeout, and no redirects (a redirect is an
/// answer that is not a 2xx, so it is retried like any other failure).
pub fn http_client(settings: &WebhookSettings) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The delay before automatic attempt `done + 1`, after `done` failed ones.
pub fn retry_delay(settings: &WebhookSettings, done: u32) -> Duration {
    let exponent = done.saturating_sub(1).min(20);
    let base = settings.retry_base.as_secs_f64() * 3f64.powi(exponent as i32);
    let jitter = rand::rng().random_range(0.75..=1.25);
    Duration::from_secs_f64((base * jitter).min(7.0 * 24.0 * 3600.0))
}

fn millis(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Why an attempt failed, in one line fit for `lastDeliveryAttemptError`.
fn describe(error: &reqwest::Error, settings: &WebhookSettings) -> String {
    if error.is_timeout() {
        return format!("timed out after {:.1} s", settings.timeout.as_secs_f64());
    }
    let mut text = if error.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Sends `delivery` (whose body is rendered) once and records the attempt.
pub async fn attempt_and_record(
    store: &Store,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    delivery: &DeliveryRow,
    manual: bool,
) -> Result<bool, ServiceError> {
    let body = delivery.body.clone().unwrap_or_default();
    let started_at = copay_store::now();
    let clock = Instant::now();
    let (status_code, error) = send(client, settings, delivery, body).await;
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let delivered = error.is_none();
    let done = u32::try_from(delivery.attempts)
        .unwrap_or(0)
        .saturating_add(1);
    let retry_at_ms = (!delivered && !manual && done < settings.max_attempts).then(|| {
        let delay = i64::try_from(retry_delay(settings, done).as_millis()).unwrap_or(i64::MAX);
        millis(copay_store::now()).saturating_add(delay)
    });
    if !delivered && !manual && retry_at_ms.is_none() {
        // No mail is sent: copay has no mailer. The line says who would be told.
        tracing::warn!(
            delivery = %delivery.id,
            webhook = %delivery.webhook_id,
            attempts = done,
            "webhook delivery given up"
        );
    }
    store
        .record_attempt(&AttemptRecord {
            id: Uuid::now_v7(),
            tenant_id: delivery.tenant_id,
            delivery_id: delivery.id,
            manual,
            started_at,
            duration_ms,
            status_code,
            error,
            delivered,
            retry_at_ms,
        })
        .await?;
    Ok(delivered)
}

/// One POST: the status code if there was an answer, and the error unless it was a 2xx.
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    delivery: &DeliveryRow,
    body: Vec<u8>,
) -> (Option<i32>, Option<String>) {
    // Checked again at each attempt: the host may resolve elsewhere by now.
    let url = match tokio::time::timeout(
        settings.timeout,
        check_target(&delivery.url, settings.allow_private_targets),
    )
    .await
    {
        Ok(Ok(url)) => url,
        Ok(Err(reason)) => return (None, Some(format!("target refused: url {reason}"))),
        Err(_) => return (None, Some("target refused: name lookup timed out".into())),
    };
    let signature = sign(&delivery.secret, &body);
    let sent = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .header(
            USER_AGENT,
            concat!("copay-webhooks/", env!("CARGO_PKG_VERSION")),
        )
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                (code, None)
            } else if status.is_redirection() {
                (
                    code,
                    Some(format!(
                        "receiver answered {status}; redirects are not followed"
                    )),
                )
            } else {
                (code, Some(format!("receiver answered {status}")))
            }
        }
        Err(error) => (None, Some(describe(&error, settings))),
    }
}

/// What one worker tick did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub rendered: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Bodies rendered per tick at most.
const RENDER_BATCH: usize = 200;

impl TickReport {
    /// Whether the next tick should start at once: something was sent (a webhook's events
    /// go one after another, so waiting a tick between them would cap each webhook at a
    /// few events a second) or a full batch was rendered (more may wait). A tick that only
    /// rendered what had arrived waits: new events then render in one batch per tick
    /// instead of a few at a time in a loop that competes with the requests making them.
    pub fn wants_another(&self) -> bool {
        self.delivered + self.failed > 0 || self.rendered >= RENDER_BATCH
    }
}

/// One worker tick: render new bodies, claim due deliveries (one per webhook), send them
/// concurrently and record the outcomes.
pub async fn deliver_due(
    store: &Store,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    limit: i64,
) -> Result<TickReport, ServiceError> {
    let rendered = events::render_pending(store, RENDER_BATCH as i64).await?;
    let now = millis(copay_store::now());
    // The lease outlasts the attempt (its timeout covers the name check and the request).
    let lease = i64::try_from((settings.timeout * 2 + Duration::from_secs(1)).as_millis())
        .unwrap_or(i64::MAX);
    let claimed = store
        .claim_due_deliveries(now, now.saturating_add(lease), limit)
        .await?;
    let outcomes = futures::future::join_all(
        claimed
            .iter()
            .map(|delivery| attempt_and_record(store, client, settings, delivery, false)),
    )
    .await;
    let mut report = TickReport {
        rendered,
        ..TickReport::default()
    };
    for outcome in outcomes {
        match outcome? {
            true => report.delivered += 1,
            false => report.failed += 1,
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{check_target, retry_delay};
    use crate::webhooks::WebhookSettings;

    #[tokio::test]
    async fn refuses_private_targets_unless_allowed() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost/hook",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.5/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://100.64.0.1/",
        ] {
            assert!(check_target(url, false).await.is_err(), "{url} accepted");
            assert!(
                check_target(url, true).await.is_ok(),
                "{url} refused when allowed"
            );
        }
        assert!(
            check_target("http://93.184.215.14/hook", false)
                .await
                .is_ok()
        );
        for url in [
            "ftp://93.184.215.14/",
            "file:///etc/passwd",
            "not a url",
            "mailto:a@b.c",
        ] {
            assert!(check_target(url, true).await.is_err(), "{url} accepted");
        }
    }

    #[test]
    fn retries_back_off_to_about_thirty_minutes() {
        let settings = WebhookSettings::default();
        let mut total = Duration::ZERO;
        for done in 1..settings.max_attempts {
            let delay = retry_delay(&settings, done);
            let nominal = 15.0 * 3f64.powi(done as i32 - 1);
            assert!(delay.as_secs_f64() >= nominal * 0.75 && delay.as_secs_f64() <= nominal * 1.25);
            total += delay;
        }
        assert!(total >= Duration::from_secs(22 * 60) && total <= Duration::from_secs(38 * 60));
    }
}
