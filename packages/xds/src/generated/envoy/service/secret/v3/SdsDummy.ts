// Original file: @grpc/grpc-js-xds/deps/envoy-api/envoy/service/secret/v3/sds.proto


export interface SdsDummy {
}

export interface SdsDummy__Output {
}
