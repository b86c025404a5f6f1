//! How the service stops a run before its end: the run drops whatever it was waiting on, keeps
//! what it found, drops what it staged, and is recorded as interrupted.

use std::future::Future;

use tokio::sync::watch;

/// Fires when the run must stop; [`Interrupt::never`] for runs nobody stops.
#[derive(Debug, Clone)]
pub struct Interrupt(Option<watch::Receiver<bool>>);

static NEVER: Interrupt = Interrupt(None);

impl Interrupt {
    /// An interrupt that never fires: the command line's runs and the tests'.
    pub fn never() -> &'static Interrupt {
        &NEVER
    }

    /// Fires once `signal` turns true.
    pub fn on(signal: watch::Receiver<bool>) -> Self {
        Interrupt(Some(signal))
    }

    /// Waits until the interrupt fires; forever for one that cannot.
    pub async fn fired(&self) {
        if let Some(signal) = &self.0 {
            let mut signal = signal.clone();
            if signal.wait_for(|fired| *fired).await.is_ok() {
                return;
            }
        }
        // Nobody can fire it any more: the run goes to its end.
        std::future::pending::<()>().await
    }

    /// Runs `work` to its end, or drops it where it waits once the interrupt fires (none then).
    /// Work that is done when both are ready wins.
    pub async fn guard<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            value = work => Some(value),
            () = self.fired() => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn guarded_work_is_dropped_where_it_waits_once_the_interrupt_fires() {
        let (fire, signal) = watch::channel(false);
        let interrupt = Interrupt::on(signal);
        let sleeping = tokio::time::sleep(std::time::Duration::from_secs(3600));
        let firing = async {
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
            fire.send_replace(true);
        };
        let (guarded, ()) = tokio::join!(interrupt.guard(sleeping), firing);
        assert_eq!(guarded, None);
        assert_eq!(interrupt.guard(async { 7 }).await, Some(7), "ready work still wins");
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_nobody_can_fire_lets_work_finish() {
        let (fire, signal) = watch::channel(false);
        drop(fire);
        let slow = tokio::time::sleep(std::time::Duration::from_secs(60));
        assert_eq!(Interrupt::on(signal).guard(slow).await, Some(()));
        assert_eq!(Interrupt::never().guard(async { 1 }).await, Some(1));
    }
}
