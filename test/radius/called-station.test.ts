/** Called-Station-Id "AP-MAC:SSID" (RFC 3580 §3.20) in every MAC form vendors use. */
import { describe, expect, it } from 'vitest';
import { parseCalledStation } from '../../src/radius/called-station.js';
import { formatMac } from '../../src/policy/mac.js';

function parse(text: string): { apMac: string | null; ssid: string | null } {
  const buf = Buffer.from(`xx${text}yy`); // inside a larger buffer, as in a datagram
  const r = parseCalledStation(buf, 2, 2 + Buffer.byteLength(text));
  return { apMac: r.apMac < 0 ? null : formatMac(r.apMac), ssid: r.ssid };
}

const AP = '00-11-22-AA-BB-CC';
const FORMS = ['00-11-22-AA-BB-CC', '00-11-22-aa-bb-cc', '00:11:22:aa:bb:cc', '00:11:22:AA:BB:CC', '0011.22aa.bbcc', '001122-aabbcc', '001122aabbcc', '001122AABBCC'];

describe('parseCalledStation', () => {
  it.each(FORMS)('%s:DCPS → AP MAC and SSID', (form) => {
    expect(parse(`${form}:DCPS`)).toEqual({ apMac: AP, ssid: 'DCPS' });
  });

  it.each(FORMS)('%s alone → AP MAC, no SSID (wired, or a vendor that sends none)', (form) => {
    expect(parse(form)).toEqual({ apMac: AP, ssid: null });
  });

  it.each(FORMS)('%s: with an empty SSID → AP MAC kept, no SSID', (form) => {
    expect(parse(`${form}:`)).toEqual({ apMac: AP, ssid: null });
  });

  it.each([
    ['an SSID containing colons', `${AP}:Staff:5GHz`, 'Staff:5GHz'],
    ['an SSID after colon-separated MAC, itself with a colon', '00:11:22:aa:bb:cc:a:b', 'a:b'],
    ['an SSID with spaces', `${AP}:School Guest`, 'School Guest'],
    ['a UTF-8 SSID', `${AP}:Café ☕`, 'Café ☕'],
    ['a one-character SSID', `${AP}:x`, 'x'],
    ['an SSID that looks like a MAC', `${AP}:00-11-22-33-44-55`, '00-11-22-33-44-55'],
  ])('reads %s', (_name, text, ssid) => {
    expect(parse(text)).toEqual({ apMac: AP, ssid });
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not a mac at all'],
    ['an SSID with no MAC', 'DCPS'],
    ['mixed separators', '00-11:22-aa-bb-cc:DCPS'],
    ['a short MAC', '00-11-22-aa-bb:DCPS'],
    ['a non-hex digit', '00-11-22-aa-bb-cg:DCPS'],
    ['another separator before the SSID', `${AP};DCPS`],
    ['a MAC with a space before the SSID', `${AP} DCPS`],
  ])('gives no AP MAC and no SSID for %s', (_name, text) => {
    expect(parse(text)).toEqual({ apMac: null, ssid: null });
  });
});
