import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatVttTime, parseSubtitles, SubtitleError, toWebVtt } from '../src/index.js';

// Samples written by hand from the SubRip format (counter, "hh:mm:ss,ttt --> hh:mm:ss,ttt",
// text, blank line) and W3C WebVTT (signature, blank line, NOTE/STYLE/cue blocks).

const SRT = [
  '1',
  '00:00:01,000 --> 00:00:02,500',
  'Hello, <i>world</i>',
  '',
  '2',
  '00:00:03,040 --> 00:00:04,000',
  '<font color="#ff0000">Red</font> & 1 < 2',
  'second line',
  '',
  '3',
  '01:00:00,000 --> 01:00:01,001',
  'An hour in',
].join('\r\n');

const VTT = `WEBVTT - a header note

NOTE a comment
that spans lines

STYLE
::cue { color: yellow }

intro
00:01.000 --> 00:02.000 align:start line:10%
<v Anna>Hi &amp; welcome</v>

00:00:03.500 --> 00:00:04.000
No id
`;

async function parseError(text: string, format: 'srt' | 'vtt'): Promise<string> {
  try {
    await parseSubtitles(text, format);
  } catch (err) {
    if (err instanceof SubtitleError) return err.message;
    throw err;
  }
  assert.fail('expected a SubtitleError');
}

describe('subtitles', () => {
  it('parses SRT (CRLF, no final line break) and writes it as WebVTT', async () => {
    const cues = await parseSubtitles(SRT, 'srt');
    assert.deepEqual(cues, [
      { id: '1', start: 1, end: 2.5, text: 'Hello, <i>world</i>', settings: '' },
      {
        id: '2',
        start: 3.04,
        end: 4,
        text: '<font color="#ff0000">Red</font> & 1 < 2\nsecond line',
        settings: '',
      },
      { id: '3', start: 3600, end: 3601.001, text: 'An hour in', settings: '' },
    ]);
    assert.equal(
      toWebVtt(cues),
      'WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nHello, <i>world</i>\n\n' +
        '2\n00:00:03.040 --> 00:00:04.000\nRed &amp; 1 &lt; 2\nsecond line\n\n' +
        '3\n01:00:00.000 --> 01:00:01.001\nAn hour in\n',
    );
  });

  it('parses WebVTT with a header, NOTE and STYLE blocks, ids and settings, and writes it back', async () => {
    const cues = await parseSubtitles(VTT, 'vtt');
    assert.deepEqual(cues, [
      {
        id: 'intro',
        start: 1,
        end: 2,
        text: '<v Anna>Hi &amp; welcome</v>',
        settings: 'align:start line:10%',
      },
      { id: '', start: 3.5, end: 4, text: 'No id', settings: '' },
    ]);
    const vtt = toWebVtt(cues);
    assert.equal(
      vtt,
      'WEBVTT\n\nintro\n00:00:01.000 --> 00:00:02.000 align:start line:10%\n<v Anna>Hi &amp; welcome</v>\n\n' +
        '00:00:03.500 --> 00:00:04.000\nNo id\n',
    );
    assert.deepEqual(await parseSubtitles(vtt, 'vtt'), cues);
  });

  it('the WebVTT it writes reads back to the same cues (SRT round trip)', async () => {
    const cues = await parseSubtitles('1\n00:00:00,000 --> 00:00:00,040\nA --> B\n', 'srt');
    const again = await parseSubtitles(toWebVtt(cues), 'vtt');
    assert.deepEqual(
      again.map((c) => [c.start, c.end, c.text]),
      [[0, 0.04, 'A --&gt; B']],
    );
  });

  it('refuses malformed files, naming the line', async () => {
    assert.equal(
      await parseError(
        '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n',
        'srt',
      ),
      'line 6: cue end timestamp `00:00:0x.000` is invalid',
    );
    assert.equal(
      await parseError('1\n00:00:01,000 -> 00:00:02,000\nArrow too short\n', 'srt'),
      'line 2: expected a timing line "hh:mm:ss,ttt --> hh:mm:ss,ttt", found "00:00:01,000 -> 00:00:02,000"',
    );
    assert.equal(
      await parseError('1\n00:00:01,000 --> 00:00:02,000\nok\n\ngarbage\n\n', 'srt'),
      'line 5: expected a timing line "hh:mm:ss,ttt --> hh:mm:ss,ttt", found "garbage"',
    );
    assert.equal(
      await parseError('1\n00:00:05,000 --> 00:00:04,000\nbackwards\n', 'srt'),
      'line 2: the cue ends (00:00:04.000) before it starts (00:00:05.000)',
    );
    assert.equal(
      await parseError('WEBVT\n\n00:01.000 --> 00:02.000\nHi\n', 'vtt'),
      'line 1: missing WEBVTT file header',
    );
    assert.equal(
      await parseError('WEBVTT\n\n00:01.000 --> 00:02.000 foo:bar\nHi\n', 'vtt'),
      'line 3: unknown cue setting `foo` (value: bar)',
    );
    assert.equal(
      await parseError('WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\nlonely id\n', 'vtt'),
      'line 6: a cue identifier "lonely id" with no timing line after it',
    );
    assert.equal(
      await parseError('WEBVTT\n\n00:02.000 --> 00:02.000\nzero length\n', 'vtt'),
      'line 3: the cue ends (00:00:02.000) before it starts (00:00:02.000)',
    );
    assert.equal(await parseError('WEBVTT\n', 'vtt'), 'line 1: the file has no cues');
    assert.equal(await parseError('', 'srt'), 'line 1: the file has no cues');
  });

  it('formats WebVTT timestamps', () => {
    assert.equal(formatVttTime(0), '00:00:00.000');
    assert.equal(formatVttTime(3661.5), '01:01:01.500');
    assert.equal(formatVttTime(100 * 3600), '100:00:00.000');
  });
});
