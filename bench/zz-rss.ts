import { openDatabase } from '../gateway/store/sqlite.ts';
const fg = process.argv[2] === 'fg';
const db = openDatabase('/tmp/ck/rss.db', { foregroundCheckpoints: fg });
db.exec('CREATE TABLE IF NOT EXISTS t (a)');
await new Promise((r) => setTimeout(r, 3000));
(globalThis as any).gc?.();
await new Promise((r) => setTimeout(r, 500));
console.log(fg ? 'foreground' : 'background', (process.memoryUsage().rss / 1e6).toFixed(1), 'MB');
db.close();
