# Installs onnxruntime-node for the benchmark's ONNX Runtime peer
# (bench/ort_forward.mjs): `npm ci --ignore-scripts` of bench/package-lock.json
# into DEST (<build>/bench/ort). The package ships its native library, so no
# install script is needed. A failure (no npm, no registry) is a warning, not
# a build error: the benchmark then leaves the peer out and its smoke test
# reports itself skipped. The stamp is written only on success, so the next
# build tries again.
#   cmake -DNPM=npm -DSRC=<source>/bench -DDEST=<dir> -P npm_ci.cmake
file(MAKE_DIRECTORY "${DEST}")
file(COPY "${SRC}/package.json" "${SRC}/package-lock.json" DESTINATION "${DEST}")
file(REMOVE "${DEST}/npm-ci.stamp")
execute_process(
  COMMAND "${NPM}" ci --ignore-scripts --no-audit --no-fund --loglevel=error
          --fetch-retries=1
  WORKING_DIRECTORY "${DEST}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(rc EQUAL 0)
  file(TOUCH "${DEST}/npm-ci.stamp")
else()
  message(WARNING "npm ci for the ONNX Runtime benchmark peer failed (${rc}); "
                  "the benchmark will leave that peer out:\n${err}")
endif()
