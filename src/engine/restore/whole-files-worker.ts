import { parentPort } from 'node:worker_threads';
import { writeWholeFiles, type WholeFilesTask } from './whole-files';

parentPort?.on('message', (task: WholeFilesTask) => parentPort?.postMessage(writeWholeFiles(task)));
