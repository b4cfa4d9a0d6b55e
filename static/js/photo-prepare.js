/* Preparing a photo for upload without losing its evidence value.

   A photo is shrunk in the browser (long side ≤ 2560 px, ≤ 950 kB) to spare weak mobile data. A
   canvas keeps pixels only, so this module carries the original's EXIF (time taken, GPS, camera)
   into the smaller JPEG with the orientation reset to 1 (the pixels are drawn upright), paints
   transparent areas white (a JPEG has no alpha; a canvas exports it as black), applies the EXIF
   orientation of PNG and WebP files where Chromium's decoder does not, and keeps the file's name.

   What Chromium 156 does with createImageBitmap(file, {imageOrientation: "from-image"}) — checked
   against Pillow's exif_transpose on the files in tests/data: JPEG APP1 and PNG eXIf orientation
   are applied; a WebP EXIF chunk and ImageMagick's PNG "Raw profile type exif" text are ignored.
   Decoders change, so the page asks the browser once with two tiny probe images instead of
   trusting a version number.

   Libraries (static/vendor, pinned in package.json): piexifjs reads a whole EXIF block exactly as
   written and writes it into the new JPEG; exifr is the lenient reader used when piexifjs refuses
   a block (maker notes of some phones), to keep at least the time, place and camera. */
(function () {
  "use strict";
  if (window.inspectPhotoPrepare) { return; }

  var MAX_SIDE = 2560;
  var QUALITY = 0.85;
  var LOWEST_QUALITY = 0.55;
  var TARGET_BYTES = 950 * 1024;        // the whole file, EXIF included
  var PASS_THROUGH_BYTES = 1024 * 1024; // an upright JPEG this small is sent as taken
  var EXIF_HEADER = "Exif\x00\x00";

  // 2×1 red images tagged orientation 6: a decoder that applies the tag hands back 1×2.
  var PROBES = {
    webp: "UklGRlAAAABXRUJQVlA4WAoAAAAIAAAAAQAAAAAAVlA4TA8AAAAvAQAAAAcQ/Y/+ByKi/wEARVhJRhoAAABNTQAqAAAACAAB" +
          "ARIAAwAAAAEABgAAAAAAAA==",
    png: "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAGmVYSWZNTQAqAAAACAABARIAAwAAAAEABgAAAAAAANZnS2kA" +
         "AAAPSURBVHicY/zPwMDAwAAABggBActHdnUAAAAASUVORK5CYII="
  };
  var probed = {};

  /* Whether this browser's decoder applies the EXIF orientation of a `kind` ("webp" or "png")
     image itself; resolves to a boolean, cached per kind. */
  function decoderOrients(kind) {
    if (!probed[kind]) {
      var bytes = Uint8Array.from(atob(PROBES[kind]), function (c) { return c.charCodeAt(0); });
      probed[kind] = createImageBitmap(new Blob([bytes], { type: "image/" + kind }), { imageOrientation: "from-image" })
        .then(function (bitmap) { var turned = bitmap.width === 1; bitmap.close(); return turned; })
        .catch(function () { return false; });
    }
    return probed[kind];
  }

  /* ---- bytes ---- */

  function kindOf(bytes) {
    if (bytes[0] === 0xFF && bytes[1] === 0xD8) { return "jpeg"; }
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4E && bytes[3] === 0x47) { return "png"; }
    if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") { return "webp"; }
    return null;
  }

  function ascii(bytes, start, length) {
    return String.fromCharCode.apply(null, bytes.subarray(start, start + length));
  }

  /* piexifjs works on "binary strings" (one char per byte). */
  function toBinary(bytes) {
    var parts = [];
    for (var i = 0; i < bytes.length; i += 0x8000) {
      parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return parts.join("");
  }

  function fromBinary(text) {
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i) & 0xFF; }
    return bytes;
  }

  function withoutExifHeader(bytes) {
    return ascii(bytes, 0, 6) === EXIF_HEADER ? bytes.subarray(6) : bytes;
  }

  /* ---- where the EXIF block sits ---- */

  /* The TIFF-structured EXIF of a PNG: an eXIf chunk, or the hex "Raw profile type exif" text
     that ImageMagick writes (tEXt, or zTXt deflated). Resolves to {tiff, decoderReads} or null;
     decoderReads names the probe that tells whether the decoder applies its orientation. */
  function pngExif(bytes) {
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (var at = 8; at + 8 <= bytes.length;) {
      var length = view.getUint32(at);
      var type = ascii(bytes, at + 4, 4);
      var data = bytes.subarray(at + 8, at + 8 + length);
      if (type === "eXIf") { return Promise.resolve({ tiff: withoutExifHeader(data), decoderReads: "png" }); }
      if ((type === "tEXt" || type === "zTXt") && ascii(data, 0, 22) === "Raw profile type exif\x00") {
        var body = data.subarray(22);
        var text = type === "tEXt" ? Promise.resolve(body) : inflate(body.subarray(1));
        return text.then(function (raw) {
          // No image decoder reads a text chunk: the page always applies this orientation.
          return { tiff: withoutExifHeader(fromHexProfile(ascii(raw, 0, raw.length))), decoderReads: null };
        });
      }
      if (type === "IDAT" || type === "IEND") { break; }   // metadata worth reading comes first
      at += 12 + length;
    }
    return Promise.resolve(null);
  }

  function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) { return new Uint8Array(buffer); });
  }

  /* ImageMagick's raw profile: "\nexif\n   <length>\n<hex digits in lines>". */
  function fromHexProfile(text) {
    var lines = text.split("\n");
    var hex = lines.slice(3).join("").replace(/[^0-9a-fA-F]/g, "");
    var bytes = new Uint8Array(hex.length >> 1);
    for (var i = 0; i < bytes.length; i++) { bytes[i] = parseInt(hex.substr(i * 2, 2), 16); }
    return bytes;
  }

  /* The EXIF chunk of a WebP (RIFF: fourcc, little-endian size, data padded to even), as pngExif. */
  function webpExif(bytes) {
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (var at = 12; at + 8 <= bytes.length;) {
      var size = view.getUint32(at + 4, true);
      if (ascii(bytes, at, 4) === "EXIF") {
        return { tiff: withoutExifHeader(bytes.subarray(at + 8, at + 8 + size)), decoderReads: "webp" };
      }
      at += 8 + size + (size & 1);
    }
    return null;
  }

  /* ---- reading and writing EXIF ---- */

  // EXIF 2.31 tags that piexifjs 1.0.6's table lacks; without them it drops a phone's time zone.
  var NEWER_TAGS = { 36880: "OffsetTime", 36881: "OffsetTimeOriginal", 36882: "OffsetTimeDigitized" };
  if (window.piexif) {
    Object.keys(NEWER_TAGS).forEach(function (tag) {
      if (!piexif.TAGS.Exif[tag]) { piexif.TAGS.Exif[tag] = { name: NEWER_TAGS[tag], type: "Ascii" }; }
    });
  }

  // What is kept when a full block cannot be written: when, where, with what.
  var EVIDENCE_TAGS = {
    "0th": [271, 272, 305, 306],                            // Make, Model, Software, DateTime
    "Exif": [33434, 33437, 34855, 36867, 36868, 36880, 36881, 36882, 37377, 37378, 37386, 37521, 37522,
             41989],                                        // exposure, DateTimeOriginal, offsets, subsec, focal
    "GPS": [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 29]         // version, lat, lon, altitude, time, direction, datum, date
  };

  /* The piexifjs dict of the original, or null. `source` is the JPEG's bytes, or the TIFF bytes
     found in a PNG or WebP. piexifjs first; exifr when piexifjs refuses the block. */
  function readExif(kind, source) {
    if (!source || !window.piexif) { return Promise.resolve(null); }
    try {
      return Promise.resolve(piexif.load(kind === "jpeg" ? toBinary(source) : EXIF_HEADER + toBinary(source)));
    } catch (e) {
      return readWithExifr(source);
    }
  }

  function readWithExifr(source) {
    if (!window.exifr) { return Promise.resolve(null); }
    return exifr.parse(source, {
      tiff: true, exif: true, gps: true, ifd1: false, interop: false, makerNote: false, userComment: false,
      xmp: false, icc: false, iptc: false, jfif: false, ihdr: false,
      translateKeys: false, translateValues: false, reviveValues: false, sanitize: true, mergeOutput: false
    }).then(function (found) {
      if (!found) { return null; }
      var dict = { "0th": {}, "Exif": {}, "GPS": {}, "Interop": {}, "1st": {}, "thumbnail": null };
      [["0th", found.ifd0], ["Exif", found.exif], ["GPS", found.gps]].forEach(function (pair) {
        var block = pair[1] || {};
        EVIDENCE_TAGS[pair[0]].forEach(function (tag) {
          var value = fromExifr(pair[0], tag, block[tag]);
          if (value !== undefined) { dict[pair[0]][tag] = value; }
        });
      });
      return dict;
    }).catch(function () { return null; });
  }

  /* exifr hands back a rational as its quotient; piexifjs wants [numerator, denominator]. */
  function fromExifr(ifd, tag, value) {
    var info = piexif.TAGS[ifd][tag];
    if (info && (info.type === "Rational" || info.type === "SRational") && value !== undefined && value !== null) {
      value = typeof value === "number" ? rational(value) : Array.prototype.map.call(value, rational);
    }
    return coerce(ifd, tag, value);
  }

  function rational(x) { return [Math.round(x * 1000000), 1000000]; }

  /* `value` in the shape piexifjs writes for the tag's standard type, or undefined. piexifjs reads
     a tag in the type it was written with but writes it in the type of its table, silently
     garbling the block when they differ (Pillow, for one, writes ComponentsConfiguration as BYTE). */
  function coerce(ifd, tag, value) {
    var info = piexif.TAGS[ifd] && piexif.TAGS[ifd][tag];
    if (!info || value === undefined || value === null) { return undefined; }
    if (ArrayBuffer.isView(value)) { value = Array.prototype.slice.call(value); }
    var numbers = typeof value === "number" ? [value]
      : typeof value === "string" ? Array.prototype.map.call(value, function (c) { return c.charCodeAt(0); })
      : Array.isArray(value) && value.every(function (v) { return typeof v === "number"; }) ? value : null;
    switch (info.type) {
      case "Byte": case "Short": case "Long": case "SLong":
        return numbers && numbers.length ? (numbers.length === 1 ? numbers[0] : numbers) : undefined;
      case "Ascii": case "Undefined":
        if (typeof value === "string") { return value; }
        return numbers ? String.fromCharCode.apply(null, numbers) : undefined;
      case "Rational": case "SRational":
        if (typeof value === "number") { return rational(value); }
        if (!Array.isArray(value) || !value.length) { return undefined; }
        if (typeof value[0] === "number") { return value.length === 2 ? value : undefined; }
        return value.every(function (r) { return Array.isArray(r) && r.length === 2; }) ? value : undefined;
      default:
        return typeof value === "number" ? value : undefined;
    }
  }

  function coerced(dict) {
    var clean = { "0th": {}, "Exif": {}, "GPS": {}, "Interop": {}, "1st": {}, "thumbnail": null };
    ["0th", "Exif", "GPS", "Interop"].forEach(function (ifd) {
      Object.keys(dict[ifd] || {}).forEach(function (key) {
        var value = coerce(ifd, Number(key), dict[ifd][key]);
        if (/^\d+$/.test(key) && value !== undefined) { clean[ifd][key] = value; }
      });
    });
    return clean;
  }

  /* Whether `block` reads back with the original's time taken and GPS position. */
  function keepsEvidence(block, dict) {
    try {
      var back = piexif.load(block);
      return [["Exif", 36867], ["Exif", 36880], ["GPS", 2], ["GPS", 4]].every(function (pair) {
        var was = dict[pair[0]] && dict[pair[0]][pair[1]];
        return was === undefined || JSON.stringify(back[pair[0]][pair[1]]) === JSON.stringify(was);
      });
    } catch (e) {
      return false;
    }
  }

  /* The EXIF block to put into the shrunk JPEG ("Exif\0\0…" binary string), or "". The pixels are
     drawn upright, so the orientation is 1; the embedded thumbnail (unrotated, and up to 64 kB of
     the byte budget) and the pixel dimensions of the original are dropped or corrected. */
  function exifFor(original, width, height) {
    if (!original) { return ""; }
    var dict = coerced(original);
    dict["0th"][piexif.ImageIFD.Orientation] = 1;
    if (Object.keys(dict.Exif).length) {
      dict.Exif[piexif.ExifIFD.PixelXDimension] = width;
      dict.Exif[piexif.ExifIFD.PixelYDimension] = height;
    }
    var slim = { "0th": { 274: 1 }, "Exif": {}, "GPS": {}, "Interop": {}, "1st": {}, "thumbnail": null };
    Object.keys(EVIDENCE_TAGS).forEach(function (ifd) {
      EVIDENCE_TAGS[ifd].forEach(function (tag) {
        if (dict[ifd][tag] !== undefined) { slim[ifd][tag] = dict[ifd][tag]; }
      });
    });
    // The whole block if it writes and reads back intact; else when, where and with what.
    for (var attempt = 0; attempt < 2; attempt++) {
      try {
        var block = piexif.dump(attempt === 0 ? dict : slim);
        if (keepsEvidence(block, dict)) { return block; }
      } catch (e) { /* try the smaller block */ }
    }
    return "";
  }

  /* ---- drawing ---- */

  /* Draw `bitmap` (as decoded, not yet oriented) upright into a w×h canvas context. The matrices
     are the EXIF orientations' inverses (TIFF 6.0, tag 274). */
  function drawOriented(context, bitmap, orientation, w, h) {
    var matrices = {
      2: [-1, 0, 0, 1, w, 0], 3: [-1, 0, 0, -1, w, h], 4: [1, 0, 0, -1, 0, h],
      5: [0, 1, 1, 0, 0, 0], 6: [0, 1, -1, 0, w, 0], 7: [0, -1, -1, 0, w, h], 8: [0, -1, 1, 0, 0, h]
    };
    var m = matrices[orientation];
    var swapped = orientation >= 5 && orientation <= 8;
    if (m) { context.setTransform(m[0], m[1], m[2], m[3], m[4], m[5]); }
    context.drawImage(bitmap, 0, 0, swapped ? h : w, swapped ? w : h);
    context.setTransform(1, 0, 0, 1, 0, 0);
  }

  function encode(canvas, quality) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); });
  }

  /* A busy scene at 0.85 can still exceed the budget: step the quality down until it fits. */
  function encodeWithin(canvas, budget, quality) {
    return encode(canvas, quality).then(function (blob) {
      if (blob && blob.size > budget && quality - 0.15 >= LOWEST_QUALITY - 1e-9) {
        return encodeWithin(canvas, budget, quality - 0.15);
      }
      return blob;
    });
  }

  function jpegName(name) {
    return (name || "照片").replace(/\.[^./\\]*$/, "") + ".jpg";
  }

  /* ---- the pipeline ---- */

  /* Resolve to what should be uploaded for `file`: the file itself when it is an upright JPEG under
     1 MB and 2560 px, or when the browser cannot decode it (HEIC on most browsers; the server takes
     originals up to 20 MB); otherwise a new JPEG `File` named like the original (extension .jpg),
     long side ≤ 2560 px, upright, transparent areas white, carrying the original's EXIF with
     orientation 1. Never rejects. */
  function prepare(file) {
    if (!window.createImageBitmap || !file || !file.arrayBuffer) { return Promise.resolve(file); }
    return file.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      var kind = kindOf(bytes);
      // JPEG orientation is applied by every decoder that honours imageOrientation "from-image".
      var found = kind === "jpeg" ? Promise.resolve({ tiff: bytes, decoderReads: "jpeg" })
        : kind === "png" ? pngExif(bytes)
        : kind === "webp" ? Promise.resolve(webpExif(bytes)) : Promise.resolve(null);
      return found.then(function (exifSource) {
        var source = exifSource ? exifSource.tiff : null;
        var reads = exifSource ? exifSource.decoderReads : null;
        return Promise.all([readExif(kind, source),
                            reads === "jpeg" ? true : reads ? decoderOrients(reads) : false,
                            createImageBitmap(file, { imageOrientation: "from-image" })]);
      }).then(function (results) {
        var dict = results[0], decoderOriented = results[1], bitmap = results[2];
        var tagged = dict && dict["0th"] && dict["0th"][piexif.ImageIFD.Orientation];
        var orientation = !decoderOriented && tagged >= 2 && tagged <= 8 ? tagged : 1;
        var swapped = orientation >= 5;
        var upW = swapped ? bitmap.height : bitmap.width;
        var upH = swapped ? bitmap.width : bitmap.height;
        var scale = Math.min(1, MAX_SIDE / Math.max(upW, upH));
        if (scale === 1 && kind === "jpeg" && file.size < PASS_THROUGH_BYTES) { bitmap.close(); return file; }
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(upW * scale));
        canvas.height = Math.max(1, Math.round(upH * scale));
        var context = canvas.getContext("2d");
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        drawOriented(context, bitmap, orientation, canvas.width, canvas.height);
        bitmap.close();
        var exif = exifFor(dict, canvas.width, canvas.height);
        return encodeWithin(canvas, TARGET_BYTES - exif.length, QUALITY).then(function (blob) {
          if (!blob) { return file; }
          if (!exif) { return new File([blob], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified }); }
          return blob.arrayBuffer().then(function (jpeg) {
            var joined = fromBinary(piexif.insert(exif, toBinary(new Uint8Array(jpeg))));
            return new File([joined], jpegName(file.name), { type: "image/jpeg", lastModified: file.lastModified });
          });
        });
      });
    }).catch(function () { return file; });
  }

  window.inspectPhotoPrepare = { prepare: prepare };
})();
