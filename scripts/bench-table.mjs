// Prints the README's benchmark tables from bench/results/*.json (`node scripts/bench-table.mjs`).
import { existsSync, readFileSync } from 'node:fs';

const read = (name) =>
  existsSync(`bench/results/${name}.json`)
    ? JSON.parse(readFileSync(`bench/results/${name}.json`, 'utf8'))
    : undefined;
const machine = (r) =>
  `${r.date.slice(0, 10)}; ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`;
const out = [];

const api = read('api');
if (api) {
  out.push(
    `**API** (\`npm run bench -- api\`; ${machine(api)}; autocannon, ${api.connections} connections, ${api.durationSeconds} s each).`,
  );
  out.push(
    'Target: our p50 at most 1.5 times that of a bare route returning the same rows with one query, in the same run.',
    '',
  );
  out.push(
    '| database | request | req/s | p50 ms | p99 ms | bare p50 ms | p50 ratio |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const db of ['pglite', 'postgres']) {
    for (const [name, v] of Object.entries(api[db] ?? {})) {
      out.push(
        `| ${db} | ${name} | ${v.ours.requestsPerSecond} | ${v.ours.p50} | ${v.ours.p99} | ${v.bare.p50} | ${v.p50Ratio} |`,
      );
    }
  }
  out.push('');
}

const ingest = read('ingest');
if (ingest) {
  const c = ingest.clip;
  out.push(
    `**Ingest** (\`npm run bench -- ingest\`; ${machine(ingest)}): a ${c.seconds} s ${c.size} ${c.rate} fps clip with ${c.audioTracks} audio tracks, adapter and one worker as processes.`,
  );
  out.push(
    'Target: the pipeline (stored upload to ready asset) at most 1.15 times the same ffmpeg commands run bare, one after another, in the same run.',
    '',
  );
  out.push(
    '| upload s | pipeline s | realtime factor | bare ffmpeg s | ratio | ffmpeg runs |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  out.push(
    `| ${ingest.uploadSeconds ?? '–'} | ${ingest.pipelineSeconds} | ${ingest.realtimeFactor} | ${ingest.bareFfmpegSeconds} | ${ingest.ratio} | ${ingest.ffmpegCommands} |`,
    '',
  );
}

const analyze = read('analyze');
if (analyze) {
  const t = analyze.targets;
  out.push(
    `**Analyze** (\`npm run bench -- analyze\`; ${machine(analyze)}; ${analyze.repeats} repeats, medians; load average ${analyze.loadAverage.start}–${analyze.loadAverage.end}: ratios are what count).`,
  );
  out.push(
    `Targets on one core: the whole programme's waveform and full loudness (true peak included) at most ${t.fullRatioOneCore} times \`ffmpeg -f null\` decoding in the same run, the waveform alone at most ${t.waveformRatioOneCore} times; service peak memory under ${t.peakMemoryMb} MB; warm 10 s window p99 under ${t.windowP99Ms} ms with 8 clients at once during a whole-programme analysis.`,
    '',
  );
  out.push(
    '| programme | cores | decoder | full ÷ decode | full CPU ratio | waveform ÷ decode | waveform CPU ratio | peak MB: service (+ each ffmpeg) |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const v of Object.values(analyze.wholeProgramme)) {
    const f = v.full;
    const w = v.waveformAlone;
    const memory = `${f.peakMemoryMb.node}${f.peakMemoryMb.ffmpegProcesses ? ` + ${f.peakMemoryMb.ffmpegEach}` : ''}`;
    out.push(
      `| ${v.input} | ${v.cores} | ${w.decoder ?? 'ffmpeg CLI'} | ${f.ratio} | ${f.cpu.ratio} | ${w.ratio} | ${w.cpu.ratio} | ${memory} |`,
    );
  }
  for (const w of [analyze.windows, analyze.windowsOneCore].filter(Boolean)) {
    out.push(
      '',
      `| 10 s window, HTTP, ${w.cores} cores${w.clients ? `, ${w.clients} clients` : ''} | p50 ms | p99 ms |`,
      '| --- | ---: | ---: |',
    );
    const row = (label, figure) => {
      if (figure) out.push(`| ${label} | ${Math.round(figure.p50)} | ${Math.round(figure.p99)} |`);
    };
    row('1 sample per pixel, cold cache, one at a time', w.coldMs);
    row('1 sample per pixel, warm, .dat', w.warmDatMs);
    row('1 sample per pixel, warm, JSON', w.warmJsonMs);
    // The window the timeline asks: 10 s across its width.
    if (w.timeline) {
      row(
        `${w.timeline.samplesPerPixel} samples per pixel (the timeline's), warm, .dat`,
        w.timeline.warmDatMs,
      );
      row(
        `${w.timeline.samplesPerPixel} samples per pixel (the timeline's), warm, JSON`,
        w.timeline.warmJsonMs,
      );
    }
    if (w.meanwhile) out.push('', `Meanwhile: ${w.meanwhile}.`);
  }
  out.push('');
}
const frontend = read('frontend');
if (frontend) {
  out.push(
    `**Player** (\`npm run bench -- frontend\`; ${machine(frontend)}; headless Debian Chromium and Firefox ESR).`,
    '',
    '| figure | result | target |',
    '| --- | ---: | ---: |',
  );
  for (const [browser, rates] of Object.entries(frontend.frameAccuracy ?? {}))
    for (const [rate, v] of Object.entries(rates))
      out.push(`| frame accuracy, ${browser}, ${rate} | ${v.exact}/${v.total} exact | all |`);
  const f = frontend;
  if (f.seekLatencyMs)
    out.push(
      `| seek to confirmed frame, 1080p, p50 / p95 ms | ${f.seekLatencyMs.p50} / ${f.seekLatencyMs.p95} | p95 < ${f.seekLatencyMs.target.p95} |`,
    );
  if (f.avDriftMs)
    out.push(
      `| audio-video drift, ${f.avDriftMs.seconds} s, ${f.avDriftMs.tracks} tracks, p95 / max ms | ${f.avDriftMs.p95} / ${f.avDriftMs.max} | max < ${f.avDriftMs.target.max} |`,
    );
  if (f.timelineFrameMs)
    out.push(
      `| timeline frame, ${f.timelineFrameMs.markers} markers, p95 ms | ${f.timelineFrameMs.p95} | < ${f.timelineFrameMs.target.p95} |`,
    );
  if (f.playerJsGzipBytes)
    out.push(
      `| player JavaScript, gzip KB | ${Math.round(f.playerJsGzipBytes.bytes / 1024)} | < ${Math.round(f.playerJsGzipBytes.target / 1024)} |`,
    );
  const w = f.workspace;
  if (w) {
    out.push(`| workspace: initial JavaScript, gzip KB | ${w.initialJsGzipKB} | < 350 |`);
    if (w.library)
      out.push(
        `| workspace: library of ${w.library.assets} assets, first page p50 ms | ${w.library.firstPageMs.p50} | |`,
        `| workspace: library scroll frame p95 ms | ${w.library.scrollFrameMs.p95} | < 16.7 |`,
      );
    if (w.openAssetToFirstFrameMs)
      out.push(
        `| workspace: open an asset to its first frame, p50 / p95 ms | ${w.openAssetToFirstFrameMs.p50} / ${w.openAssetToFirstFrameMs.p95} | |`,
      );
  }
  out.push('');
}
const load = read('load');
if (load) {
  out.push(
    `**Load** (\`npm run bench -- load\`; ${machine(load)}; load average ${load.loadAverage.start}–${load.loadAverage.max}): ${load.clients} clients ${load.thinkMs ? `(each waiting ${load.thinkMs} ms on average between requests, as a person does)` : '(each asking again as soon as it is answered)'} for ${load.durationSeconds} s through the gateway to ${load.adapters} adapters on PostgreSQL, ${load.ingests.uploaded} ingests running, ${load.sockets} event-bus sockets; ${load.requests} requests, ${load.throughput} per second.`,
    'Targets: no 5xx, no lost write, no lost event, read p99 under 500 ms.',
    '',
    '| route | requests | p50 ms | p95 ms | p99 ms | statuses |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const [route, v] of Object.entries(load.routes))
    out.push(
      `| ${route} | ${v.count} | ${Math.round(v.p50)} | ${Math.round(v.p95)} | ${Math.round(v.p99)} | ${Object.entries(
        v.statuses,
      )
        .map(([status, n]) => `${status} × ${n}`)
        .join(', ')} |`,
    );
  const lost = load.writes.lost;
  out.push(
    '',
    '| figure | result | target |',
    '| --- | ---: | ---: |',
    `| all reads, p50 / p95 / p99 ms | ${Math.round(load.reads.p50)} / ${Math.round(load.reads.p95)} / ${Math.round(load.reads.p99)} | p99 < 500 |`,
    `| 5xx and network errors | ${Object.entries(load.errorsByStatus)
      .filter(([s]) => !/^[1-4]/.test(s))
      .reduce((n, [, c]) => n + c, 0)} | 0 |`,
    `| writes acknowledged / lost (markers, comments, QC) | ${load.writes.acknowledged} / ${lost.markers + lost.comments + lost.qcDecisions} | 0 lost |`,
    `| events expected / lost | ${load.events.expected} / ${load.events.lost} | 0 lost |`,
    `| event delay after the write's answer, p50 / p95 / p99 ms | ${load.events.delayMs.p50} / ${load.events.delayMs.p95} / ${load.events.delayMs.p99} | |`,
    '',
  );
  if (load.coresUsed)
    out.push(
      `Cores used during the run: ${Object.entries(load.coresUsed)
        .map(([name, cores]) => `${name} ${cores}`)
        .join(', ')} (PostgreSQL not counted). Reads over 500 ms: ${load.slowReads.count}${
        load.slowReads.count
          ? `, ${Math.round(load.slowReads.shareInWorstFive * 100)}% of them in the run's worst five seconds`
          : ''
      }.`,
      '',
    );
  // The same benchmark saturated (no think time), kept as bench/results/load-saturated.json.
  const sat = read('load-saturated');
  if (sat && !sat.thinkMs)
    out.push(
      `Saturated (\`--think-ms=0\`, ${sat.date.slice(0, 10)}, load average ${sat.loadAverage.start}–${sat.loadAverage.max}): ${sat.clients} clients asking again as soon as answered made ${sat.requests} requests, ${sat.throughput} per second, the machine's capacity with ingest running; reads p50 / p95 / p99 ${Math.round(sat.reads.p50)} / ${Math.round(sat.reads.p95)} / ${Math.round(sat.reads.p99)} ms (a queue of 200 at that rate); ${Object.keys(sat.errorsByStatus).length === 0 ? 'no errors' : JSON.stringify(sat.errorsByStatus)}; ${sat.writes.acknowledged} writes acknowledged and ${sat.writes.lost.markers + sat.writes.lost.comments + sat.writes.lost.qcDecisions} lost; ${sat.events.expected} events expected and ${sat.events.lost} lost.`,
      '',
    );
}
console.log(out.join('\n'));
