// Original file: null

import type { FeatureSet as _google_protobuf_FeatureSet, FeatureSet__Output as _google_protobuf_FeatureSet__Output } from '../../google/protobuf/FeatureSet.js';
import type { UninterpretedOption as _google_protobuf_UninterpretedOption, UninterpretedOption__Output as _google_protobuf_UninterpretedOption__Output } from '../../google/protobuf/UninterpretedOption.js';
import type { ResourceAnnotation as _envoy_annotations_ResourceAnnotation, ResourceAnnotation__Output as _envoy_annotations_ResourceAnnotation__Output } from '../../envoy/annotations/ResourceAnnotation.js';

export interface ServiceOptions {
  'deprecated'?: (boolean);
  'features'?: (_google_protobuf_FeatureSet | null);
  'uninterpretedOption'?: (_google_protobuf_UninterpretedOption)[];
  '.envoy.annotations.resource'?: (_envoy_annotations_ResourceAnnotation | null);
}

export interface ServiceOptions__Output {
  'deprecated'?: (boolean);
  'features'?: (_google_protobuf_FeatureSet__Output);
  'uninterpretedOption'?: (_google_protobuf_UninterpretedOption__Output)[];
  '.envoy.annotations.resource'?: (_envoy_annotations_ResourceAnnotation__Output);
}
