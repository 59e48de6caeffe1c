//! Intake batching: reports that arrive while earlier ones are being written share one
//! transaction, written with multi-row INSERTs.
//!
//! Every statement on the single SQLite writer is a hand-off to the database thread, and those
//! hand-offs, not the SQL, dominate the cost of a report (docs/performance.md). A batch of N
//! reports costs about as many statements as one. A lone report is written at once (a batch of
//! one), so batching adds no waiting; under load, reports queue while up to `IN_FLIGHT` batches
//! are written, and the next batch takes everything queued. Each report is answered only after
//! its batch's COMMIT is durable. A batch that fails before COMMIT is retried report by report,
//! so one bad report does not fail the others.

use crate::incidents::{QueuedReport, Receipt};
use crate::{App, AppError, AppResult};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Most reports in one batch (40 columns each in the incident INSERT).
const MAX_BATCH: usize = 64;
/// Batches written at the same time: while one waits for its fsync, the next uses the writer.
const IN_FLIGHT: usize = 2;
/// Reports waiting for a batch before `submit` waits too (back-pressure).
const QUEUE: usize = 4096;

/// A queued report and where its answer goes.
struct Pending {
    report: QueuedReport,
    reply: oneshot::Sender<AppResult<Receipt>>,
}

/// The queue into the batch writer (shared by all clones of an `App`).
#[derive(Debug)]
pub(crate) struct Intake {
    queue: mpsc::Sender<Pending>,
}

impl App {
    /// Writes a checked report through the batch writer; returns once it is durable.
    pub(crate) async fn submit_report(&self, report: QueuedReport) -> AppResult<Receipt> {
        let intake = self.intake.get_or_init(|| {
            let (queue, rx) = mpsc::channel(QUEUE);
            // The writer gets its own App without the queue, so dropping the last App that
            // holds the queue ends the writer.
            let writer = App::new_detached(self);
            tokio::spawn(run(writer, rx));
            Intake { queue }
        });
        let (reply, answer) = oneshot::channel();
        intake
            .queue
            .send(Pending { report, reply })
            .await
            .map_err(|_| AppError::Internal("the intake writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Internal("the intake writer dropped the report".into()))?
    }

    /// Writes one batch and answers each report in it.
    async fn write_batch(&self, batch: Vec<Pending>) {
        let (reports, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.report, p.reply)).unzip();
        let single = reports.len() == 1;
        let mut tx = match self.store.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let msg = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(AppError::Internal(msg.clone())));
                }
                return;
            }
        };
        match self.report_many(&mut tx, reports.clone()).await {
            Ok(receipts) => {
                let committed = tx.commit().await.map_err(|e| e.to_string());
                for (reply, receipt) in replies.into_iter().zip(receipts) {
                    let _ = reply.send(match &committed {
                        Ok(()) => Ok(receipt),
                        Err(msg) => Err(AppError::Internal(msg.clone())),
                    });
                }
            }
            Err(e) if single => {
                drop(tx);
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                // Nothing of the batch was written (the transaction is dropped, i.e. rolled
                // back): write each report alone, so each gets its own answer.
                drop(tx);
                for (report, reply) in reports.into_iter().zip(replies) {
                    let _ = reply.send(self.write_one(report).await);
                }
            }
        }
    }

    async fn write_one(&self, report: QueuedReport) -> AppResult<Receipt> {
        let mut tx = self.store.begin().await?;
        let receipt = self
            .report_many(&mut tx, vec![report])
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no receipt".into()))?;
        tx.commit().await?;
        Ok(receipt)
    }
}

/// Takes whatever is queued (up to `MAX_BATCH`) as soon as a writing slot is free.
async fn run(app: App, mut queue: mpsc::Receiver<Pending>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let app = app.clone();
        tokio::spawn(async move {
            app.write_batch(batch).await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Actor;
    use crate::clock::FixedClock;
    use crate::AppConfig;
    use meldpunt_core::ids::{IncidentNumber, SchoolId};
    use meldpunt_core::report::{NewReport, ReportInput};

    fn report(text: &str) -> NewReport {
        NewReport::parse(
            &ReportInput {
                description: text,
                personal_data: Some("no"),
                ..ReportInput::default()
            },
            "2026-11-24T09:15:00Z".parse().expect("valid"),
        )
        .expect("valid report")
    }

    /// A report the database refuses (its school does not exist: foreign key) in the middle of
    /// a batch fails alone; the reports around it are written and numbered in order.
    #[tokio::test]
    async fn a_refused_report_does_not_fail_its_batch() {
        for db in [
            meldpunt_testkit::sqlite().await,
            meldpunt_testkit::postgres().await,
        ] {
            let name = db.backend.name();
            let clock = Arc::new(FixedClock::new(
                "2026-11-24T09:15:00Z".parse().expect("valid"),
            ));
            let app = App::new(db.store.clone(), clock, AppConfig::default());
            let board = app
                .create_board(&Actor::Cli, "Stichting Test")
                .await
                .expect("board");
            let mut bad = report("Verwijst naar een school die niet bestaat");
            bad.school_id = Some(SchoolId(uuid::Uuid::now_v7()));
            let mut answers = Vec::new();
            let mut batch = Vec::new();
            for r in [report("Printer kapot"), bad, report("Wifi valt weg")] {
                let (reply, answer) = oneshot::channel();
                batch.push(Pending {
                    report: QueuedReport::new(&Actor::Reporter, r, board, false),
                    reply,
                });
                answers.push(answer);
            }
            app.write_batch(batch).await;
            let mut got = Vec::new();
            for a in answers {
                got.push(a.await.expect("answered"));
            }
            let numbers: Vec<Option<String>> = got
                .iter()
                .map(|r| r.as_ref().ok().map(|r| r.incident.number.to_string()))
                .collect();
            assert_eq!(
                numbers,
                vec![Some("2026-0001".into()), None, Some("2026-0002".into())],
                "{name}"
            );
            for n in [1, 2] {
                let number = IncidentNumber { year: 2026, seq: n };
                assert!(
                    app.store
                        .incident_by_number(board, number)
                        .await
                        .expect("read")
                        .is_some(),
                    "{name}: {number} stored"
                );
            }
            let audit = app.store.verify_audit().await.expect("read");
            assert!(audit.is_ok(), "{name}: {audit:?}");
        }
    }
}
