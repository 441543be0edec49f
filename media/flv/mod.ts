/**
 * FLV and AMF0: the RTMP payload mapping (legacy codec ids and Enhanced RTMP
 * FourCCs ↔ {@linkcode MediaFrame}), AMF0 values, the FLV {@linkcode Muxer}
 * (HTTP-FLV, recordings) and the `.flv` reader.
 *
 * Specification: Adobe Flash Video File Format v10.1 (Annex E), Adobe AMF 0,
 * Veovera Enhanced RTMP v1/v2.
 *
 * Data path: tag bodies map to frames whose `data` views the input; frames
 * map back to tag bodies/tags sized first and written in place.
 *
 * @example Tour: RTMP body → frame → FLV tag → file → frames
 * ```ts
 * import {
 *   decodeAmf0,
 *   encodeAmf0,
 *   FlvMuxer,
 *   flvBodyToFrames,
 *   readFlvFile,
 * } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(decodeAmf0(encodeAmf0(["createStream", 2, null])), ["createStream", 2, null]);
 *
 * // Legacy AVC NALU packet: key frame, composition time 40 ms.
 * const body = new Uint8Array([0x17, 0x01, 0, 0, 40, 0, 0, 0, 1, 0x65]);
 * const [frame] = flvBodyToFrames(9, body, 1000);
 * assert.equal(frame?.pts, 1040);
 *
 * const muxer = new FlvMuxer();
 * const file = new Uint8Array([...muxer.initSegment(), ...muxer.mux([frame!])]);
 * const { frames } = readFlvFile(file);
 * assert.deepEqual(frames.at(-1)?.data, frame?.data);
 * ```
 *
 * @module
 */
export * from "../frame.ts";
export * from "../muxer.ts";
export * from "../stream_error.ts";
export * from "./amf0.ts";
export * from "./flv_tag.ts";
export * from "./flv_muxer.ts";
export * from "./flv_reader.ts";
export * from "./flv_writer.ts";
