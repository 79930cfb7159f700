import { SHAPED_SINKS, type MoreOptions } from './more-options.js';

interface Props {
  readonly more: MoreOptions;
  readonly mode: 'batch' | 'stream';
  readonly sinks: readonly string[];
  readonly onChange: (more: MoreOptions) => void;
}

/** The rest of the scenario the CLI takes, folded away: dates, a storm, PV and EV shares, the segment mix, the shape. */
export function MoreOptionsSection({ more, mode, sinks, onChange }: Props) {
  const set = <K extends keyof MoreOptions>(key: K, value: MoreOptions[K]): void => onChange({ ...more, [key]: value });
  const shaped = sinks.some((s) => SHAPED_SINKS.includes(s));
  return (
    <details class="more" data-testid="more-options">
      <summary>More options</summary>
      <section class="step" aria-label="More options">
        <p class="muted">The scenario options of forge generate. Left empty, each takes the service area's or the model's default.</p>
        <div class="fields">
          {mode === 'batch' && (
            <label>
              Start date
              <input aria-label="Start date" type="date" value={more.start} onInput={(e) => set('start', e.currentTarget.value)} />
            </label>
          )}
          <label class="check">
            <input aria-label="Storm" type="checkbox" checked={more.storm} onChange={(e) => set('storm', e.currentTarget.checked)} />
            Storm (a major storm: feeders out, restored over days)
          </label>
          <label>
            Storm date
            <input aria-label="Storm date" type="date" value={more.stormDate} disabled={!more.storm} title="Empty: the middle of the range" onInput={(e) => set('stormDate', e.currentTarget.value)} />
          </label>
          <label>
            PV share
            <input aria-label="PV share" inputMode="decimal" placeholder="the area's, 0 to 1" value={more.pvShare} onInput={(e) => set('pvShare', e.currentTarget.value)} />
          </label>
          <label>
            EV share
            <input aria-label="EV share" inputMode="decimal" placeholder="the area's, 0 to 1" value={more.evShare} onInput={(e) => set('evShare', e.currentTarget.value)} />
          </label>
          <label>
            Segment mix (R/C/I %)
            <input aria-label="Segment mix (R/C/I %)" placeholder="the area's, e.g. 88/11/1" value={more.mix} onInput={(e) => set('mix', e.currentTarget.value)} />
          </label>
          <label>
            Fleet file
            <input aria-label="Fleet file" placeholder="none: an invented fleet" title="A fleet file of forge fleet import in the server's data directory: its meters, area and segments replace the page's" value={more.fleetFile} onInput={(e) => set('fleetFile', e.currentTarget.value)} />
          </label>
          {shaped && (
            <label>
              Record shape (files, stdout)
              <select aria-label="Record shape" value={more.shape} onChange={(e) => set('shape', e.currentTarget.value as MoreOptions['shape'])}>
                <option value="flat">flat (one column per field)</option>
                <option value="nested">nested (the head-end message)</option>
              </select>
            </label>
          )}
        </div>
      </section>
    </details>
  );
}
