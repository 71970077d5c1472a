// Original file: @grpc/grpc-js-xds/deps/envoy-api/envoy/extensions/filters/listener/original_dst/v3/original_dst.proto


export interface OriginalDst {
}

export interface OriginalDst__Output {
}
