import type { ExchangeFormat } from '../exchange-format.js';
import { greenButtonFeed } from './greenbutton-feed.js';
import { readGreenButton } from './greenbutton-read.js';

/** How feeds are cut: a batch of customers per local date (an ESPI bulk transfer), or one customer's day. */
export const GREENBUTTON_FEEDS = ['batch', 'customer'] as const;
export type GreenButtonFeed = (typeof GREENBUTTON_FEEDS)[number];

/**
 * Green Button (NAESB REQ.21 ESPI 3.3) feeds. `batch` (the default): an Atom feed per local date and part, a batch
 * of customers each, like an ESPI bulk transfer; a part is cut after the batch that brings it to 50,000 readings
 * (batches are whole meter-days, at most 131,072 readings by default), so a feed stays a size Green Button tools take
 * whole (measured: 600 meters' day, 60,000 readings, 11 MB).
 * `customer`: one feed per customer and local date (a "Download My Data" file), the day's feeds of a part in one
 * directory (`part-....customers/<meter_id>.xml`).
 */
export const greenButtonFormat = (feed: GreenButtonFeed = 'batch'): ExchangeFormat => ({
  name: 'greenbutton',
  extension: 'xml',
  grouping: feed === 'customer' ? 'customer-day' : 'date',
  keeps: ['quality', 'outage'],
  maxRowsPerFile: 50_000,
  render: greenButtonFeed,
  read: (text) => readGreenButton(text),
});
