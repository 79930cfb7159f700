import { checkedText } from '../../sink-plugin.js';
import { defineFormatSink } from '../define-format-sink.js';
import { NEM12_DEFAULT_FROM, NEM12_DEFAULT_TO, nem12Format } from './nem12-format.js';

/** A participant ID of the MDFF header: 1 to 10 letters or digits. */
const participant = checkedText((text) => (/^[A-Za-z0-9]{1,10}$/.test(text) ? undefined : 'a participant ID is 1 to 10 letters or digits'));

export const nem12Plugin = defineFormatSink({
  name: 'nem12',
  title: 'NEM12 files',
  summary: 'AEMO NEM12 interval data files (100/200/300/400/900, E1 import and B1 PV export, 5/15/30 min, standard-time days), one file per local date',
  options: {
    nem12From: { schema: participant, arg: '<id>', help: 'NEM12 header FromParticipant (the meter data provider)', default: NEM12_DEFAULT_FROM },
    nem12To: { schema: participant, arg: '<id>', help: 'NEM12 header ToParticipant (the recipient)', default: NEM12_DEFAULT_TO },
  },
  format: (values) => nem12Format({ fromParticipant: values.nem12From, toParticipant: values.nem12To }),
});
