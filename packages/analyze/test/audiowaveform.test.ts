import { test } from 'node:test';
import assert from 'node:assert/strict';
import BbcWaveformData from 'waveform-data';
import {
  allocatePeaks,
  decodeDat,
  encodeDat,
  encodeJson,
  toJson,
  type WaveformData,
  WaveformFormatError,
} from '../src/processors/audiowaveform.js';

const stereo: WaveformData = {
  sampleRate: 48000,
  samplesPerPixel: 512,
  channels: 2,
  // [pixel][channel][min, max]
  data: Int16Array.from([-32768, 32767, -256, 255, -1, 1, -300, 200, 0, 0, -12345, 23456]),
};

function arraysOf(w: BbcWaveformData) {
  return Array.from({ length: w.channels }, (_, c) => ({
    min: w.channel(c).min_array(),
    max: w.channel(c).max_array(),
  }));
}

function expected(data: Int16Array, channels: number, shift: number) {
  return Array.from({ length: channels }, (_, c) => {
    const min: number[] = [];
    const max: number[] = [];
    for (let i = c * 2; i < data.length; i += channels * 2) {
      min.push((data[i] as number) >> shift);
      max.push((data[i + 1] as number) >> shift);
    }
    return { min, max };
  });
}

for (const bits of [8, 16] as const) {
  test(`.dat v2, ${bits}-bit, is read back by waveform-data`, () => {
    const dat = encodeDat(stereo, { bits, version: 2 });
    const ab = dat.buffer.slice(dat.byteOffset, dat.byteOffset + dat.byteLength) as ArrayBuffer;
    const w = BbcWaveformData.create(ab);
    assert.equal(w.channels, 2);
    assert.equal(w.sample_rate, 48000);
    assert.equal(w.scale, 512);
    assert.equal(w.length, 3);
    assert.equal(w.bits, bits);
    assert.deepEqual(arraysOf(w), expected(stereo.data, 2, bits === 8 ? 8 : 0));
  });

  test(`JSON v2, ${bits}-bit, is read back by waveform-data and equals the object form`, () => {
    const text = encodeJson(stereo, { bits, version: 2 }).toString();
    const parsed = JSON.parse(text) as ReturnType<typeof toJson>;
    assert.deepEqual(parsed, toJson(stereo, { bits, version: 2 }));
    const w = BbcWaveformData.create(parsed as Parameters<typeof BbcWaveformData.create>[0]);
    assert.equal(w.channels, 2);
    assert.deepEqual(arraysOf(w), expected(stereo.data, 2, bits === 8 ? 8 : 0));
  });
}

test('version 1 holds one channel and has the 20-byte header', () => {
  const mono: WaveformData = {
    sampleRate: 44100,
    samplesPerPixel: 256,
    channels: 1,
    data: Int16Array.from([-5, 9, -700, 800]),
  };
  const dat = encodeDat(mono, { bits: 16, version: 1 });
  assert.equal(dat.length, 20 + 8);
  assert.equal(dat.readInt32LE(0), 1);
  const w = BbcWaveformData.create(
    dat.buffer.slice(dat.byteOffset, dat.byteOffset + dat.length) as ArrayBuffer,
  );
  assert.deepEqual(w.channel(0).max_array(), [9, 800]);
  const json = toJson(mono, { bits: 8, version: 1 });
  assert.equal('channels' in json, false);
  assert.deepEqual(json.data, [-1, 0, -3, 3]);
  assert.throws(() => encodeDat(stereo, { bits: 16, version: 1 }), WaveformFormatError);
});

test('JSON numbers: every 16-bit value, written digit by digit, parses back', () => {
  const all = new Int16Array(65536);
  for (let i = 0; i < all.length; i++) all[i] = i - 32768;
  const w: WaveformData = { sampleRate: 8000, samplesPerPixel: 1, channels: 1, data: all };
  for (const bits of [8, 16] as const) {
    const parsed = JSON.parse(encodeJson(w, { bits, version: 2 }).toString()) as { data: number[] };
    assert.deepEqual(
      parsed.data,
      Array.from(all, (v) => (bits === 8 ? v >> 8 : v)),
    );
  }
});

test('decodeDat reads what encodeDat writes', () => {
  for (const bits of [8, 16] as const) {
    const back = decodeDat(encodeDat(stereo, { bits, version: 2 }));
    assert.equal(back.bits, bits);
    assert.equal(back.channels, 2);
    assert.deepEqual(
      Array.from(back.data),
      Array.from(stereo.data, (v) => (bits === 8 ? v >> 8 : v)),
    );
  }
});

test('an empty waveform is valid', () => {
  const empty: WaveformData = {
    sampleRate: 48000,
    samplesPerPixel: 256,
    channels: 2,
    data: new Int16Array(0),
  };
  assert.equal(JSON.parse(encodeJson(empty, { bits: 16, version: 2 }).toString()).length, 0);
  assert.equal(encodeDat(empty, { bits: 8, version: 2 }).length, 24);
});

test('peaks in allocatePeaks memory: the .dat is written around them, byte for byte the copy a plain array gives', () => {
  for (const bits of [8, 16] as const) {
    for (const version of [1, 2] as const) {
      const w = version === 1 ? { ...stereo, channels: 1 } : stereo;
      const data = allocatePeaks(stereo.data.length);
      data.set(stereo.data);
      const placed = encodeDat({ ...w, data }, { bits, version });
      assert.deepEqual(placed, encodeDat(w, { bits, version }), `${bits}-bit v${version}`);
      if (bits === 16) assert.equal(placed.buffer, data.buffer, 'the same memory, no copy');
    }
  }
});

test('a second .dat of the same allocatePeaks memory is a copy: the first answer does not change', () => {
  const data = allocatePeaks(stereo.data.length);
  data.set(stereo.data);
  const w = { ...stereo, data };
  const first = encodeDat(w, { bits: 16, version: 2 });
  const before = Buffer.from(first);
  const second = encodeDat({ ...w, channels: 1 }, { bits: 16, version: 1 });
  assert.notEqual(second.buffer, data.buffer);
  assert.deepEqual(first, before);
  assert.deepEqual(decodeDat(second).data, stereo.data);
});
