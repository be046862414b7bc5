/**
 * The asyncio-style half of the migration example: a worker pool written with createTask, gather
 * and waitFor, as an existing asyncio codebase would have it. It calls Trio-style code through
 * `trioAsAio`.
 */
import { TimeoutError, createTask, gather, waitFor } from '@duet/asyncio';
import { trioAsAio } from '@duet/bridge';
import { enrich } from './trio-pipeline';

/** `enrich`, a Trio-style function, as something asyncio code can await (it returns a Task). */
const enrichTask = trioAsAio(enrich);

/** One job: enrich it, but give up after `limit` seconds (asyncio's waitFor). */
async function processJob(job: number, limit: number): Promise<string> {
  try {
    return await waitFor(enrichTask(job), limit);
  } catch (err) {
    if (err instanceof TimeoutError) return `job ${job}: timed out after ${limit}s`;
    throw err;
  }
}

/** Processes a batch concurrently: one task per job, results in job order (gather). */
export async function processBatch(jobs: number[], limit: number): Promise<string[]> {
  const tasks = jobs.map((job) => createTask(() => processJob(job, limit), { name: `job-${job}` }));
  return gather(...tasks);
}
