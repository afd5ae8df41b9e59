/** A plan's overlap policy names (snake_case) as Temporal's ScheduleOverlapPolicy values. */
export const OVERLAP = {
  skip: 'SKIP',
  buffer_one: 'BUFFER_ONE',
  buffer_all: 'BUFFER_ALL',
  cancel_other: 'CANCEL_OTHER',
  terminate_other: 'TERMINATE_OTHER',
  allow_all: 'ALLOW_ALL',
} as const;
