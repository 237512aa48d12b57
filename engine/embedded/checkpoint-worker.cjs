// Runs SQLite WAL checkpoints off the main thread (see checkpointer.ts): a PASSIVE checkpoint copies
// committed pages from the WAL into the database file without blocking the writer.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let stopped = false;

function tick() {
  if (stopped) return;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again.
  }
  setTimeout(tick, workerData.intervalMs);
}

parentPort.on('message', (message) => {
  if (message === 'stop') {
    stopped = true;
    try {
      db.close();
    } finally {
      parentPort.postMessage('stopped');
    }
  }
});
tick();
